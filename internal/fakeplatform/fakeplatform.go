//go:build unix

// Package fakeplatform is what the fake platform CLIs (internal/fakeheroku,
// internal/fakegcloud) share: the state file and command log in the fake's directory,
// the scripted faults, and building and running what was deployed as the app's web
// process on its own loopback port.
package fakeplatform

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// CLI is one invocation of a fake CLI, working in Dir.
type CLI struct {
	Name string // the command's name in its own errors, such as "fakeheroku"
	Dir  string
	// FaultMessage is the stderr line of an injected "fail", in the real CLI's words.
	FaultMessage string
}

// New reads the fake's directory from the variable dirVar; without it, it exits 2.
func New(name, dirVar, faultMessage string) *CLI {
	dir := os.Getenv(dirVar)
	if dir == "" {
		fmt.Fprintf(os.Stderr, "%s: %s is not set\n", name, dirVar)
		os.Exit(2)
	}
	return &CLI{Name: name, Dir: dir, FaultMessage: faultMessage}
}

// Faults is embedded in a fake's state. Calls counts invocations; when it reaches
// FaultAt, Fault happens to that call: "fail" (exit 1, nothing applied), "fail-after"
// (applied, then exit 1), "kill-before" and "kill-after" (SIGKILL to the calling process,
// mcpctl, before or after applying), "die-before" and "die-after" (the CLI SIGKILLs
// itself), "hang-before" and "hang-after" (never returns, until killed).
type Faults struct {
	Calls   int    `json:"calls"`
	FaultAt int    `json:"fault_at,omitempty"`
	Fault   string `json:"fault,omitempty"`
}

// Main runs one call: it logs the command line, loads the state into st, counts the
// call in f (st's Faults), does the fault due at it around dispatch, saves st and exits
// with dispatch's code.
func (c *CLI) Main(st any, f *Faults, dispatch func(args []string) int) {
	c.logArgv()
	if err := c.Load(st); err != nil {
		c.Fail(err.Error())
	}
	f.Calls++
	fault := ""
	if f.FaultAt > 0 && f.Calls == f.FaultAt {
		fault = f.Fault
	}
	if strings.HasSuffix(fault, "-before") || fault == "fail" {
		c.mustSave(st)
		c.injure(fault)
	}
	code := dispatch(os.Args[1:])
	c.mustSave(st)
	c.injure(fault)
	os.Exit(code)
}

// injure does what a fault says to the running call; it returns for no fault.
func (c *CLI) injure(fault string) {
	switch strings.TrimSuffix(strings.TrimSuffix(fault, "-before"), "-after") {
	case "fail":
		fmt.Fprintln(os.Stderr, c.FaultMessage)
		os.Exit(1)
	case "kill":
		_ = syscall.Kill(os.Getppid(), syscall.SIGKILL)
		os.Exit(1)
	case "die":
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	case "hang":
		for { // a bare select{} would be a detected deadlock, not a hang
			time.Sleep(time.Hour)
		}
	}
}

// Load reads the state file into st; without one, st stays as it is.
func (c *CLI) Load(st any) error {
	data, err := os.ReadFile(filepath.Join(c.Dir, "state.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return json.Unmarshal(data, st)
}

// Save writes st to the state file, atomically: a killed call leaves the old state or the new.
func (c *CLI) Save(st any) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(c.Dir, "state.json.tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(c.Dir, "state.json"))
}

func (c *CLI) mustSave(st any) {
	if err := c.Save(st); err != nil {
		c.Fail(err.Error())
	}
}

// logArgv appends the command line to argv.log, one JSON array a line, for tests to read.
func (c *CLI) logArgv() {
	f, err := os.OpenFile(filepath.Join(c.Dir, "argv.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		c.Fail(err.Error())
	}
	defer f.Close()
	b, _ := json.Marshal(os.Args[1:])
	fmt.Fprintln(f, string(b))
}

// Fail reports a fault of the fake itself (not of the emulated platform) and exits 1.
func (c *CLI) Fail(msg string) {
	fmt.Fprintln(os.Stderr, c.Name+": "+msg)
	os.Exit(1)
}

// LogPath is the file an app's web process writes its output to.
func (c *CLI) LogPath(app string) string { return filepath.Join(c.Dir, app+".log") }

// PrintLogs prints the app's log, only the last n lines when n > 0.
func (c *CLI) PrintLogs(app string, n int) {
	data, _ := os.ReadFile(c.LogPath(app))
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if n > 0 && len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	fmt.Println(strings.Join(lines, "\n"))
}

// PrintJSON prints v as the real CLIs' --json output does.
func PrintJSON(v any) {
	b, _ := json.MarshalIndent(v, "", "  ")
	fmt.Println(string(b))
}

// FreePort picks a loopback port for a new app: its web URL.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// CopyMap copies config vars; a nil map gives an empty one, which can be written to.
func CopyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
