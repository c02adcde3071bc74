package connect

import (
	"errors"
	"os"
	"path"
	"path/filepath"
	"runtime"
)

// Env is what locates user-scope files: the OS, the home directory and the variables
// that move config directories (CLAUDE_CONFIG_DIR, CODEX_HOME, APPDATA, XDG_CONFIG_HOME).
// It is data so that tests never touch the real home.
type Env struct {
	GOOS   string // empty: runtime.GOOS
	Home   string
	Getenv func(string) string // nil: nothing is set
}

// NewEnv builds an Env from an environment lookup (the factory's Env func in mcpctl).
func NewEnv(goos string, getenv func(string) string) (Env, error) {
	e := Env{GOOS: goos, Getenv: getenv}
	e.Home = e.get("HOME")
	if e.goos() == "windows" && e.get("USERPROFILE") != "" {
		e.Home = e.get("USERPROFILE")
	}
	if e.Home == "" {
		return e, errors.New("cannot find the home directory: HOME is not set")
	}
	return e, nil
}

func (e Env) goos() string {
	if e.GOOS == "" {
		return runtime.GOOS
	}
	return e.GOOS
}

func (e Env) get(k string) string {
	if e.Getenv == nil {
		return ""
	}
	return e.Getenv(k)
}

func (e Env) home() (string, error) {
	if e.Home == "" {
		return "", errors.New("cannot find the home directory: HOME is not set")
	}
	return e.Home, nil
}

// appConfigDir is where desktop apps (Claude Desktop, VS Code) keep their settings:
// ~/Library/Application Support on macOS, %APPDATA% on Windows, $XDG_CONFIG_HOME (or
// ~/.config) elsewhere.
func (e Env) appConfigDir() (string, error) {
	switch e.goos() {
	case "darwin":
		home, err := e.home()
		return e.join(home, "Library", "Application Support"), err
	case "windows":
		if d := e.get("APPDATA"); d != "" {
			return d, nil
		}
		home, err := e.home()
		return e.join(home, "AppData", "Roaming"), err
	default:
		if d := e.get("XDG_CONFIG_HOME"); d != "" {
			return d, nil
		}
		home, err := e.home()
		return e.join(home, ".config"), err
	}
}

func (e Env) join(elem ...string) string { return joinPath(e.goos(), elem...) }

// joinPath joins with the target OS's separator only when that OS is the one running
// (paths for another OS appear only in tests, which compare them as slash paths).
func joinPath(goos string, elem ...string) string {
	if goos == runtime.GOOS {
		return filepath.Join(elem...)
	}
	return path.Join(elem...)
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
