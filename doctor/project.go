package doctor

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/internal/envfile"
	"github.com/mcpctl/mcpctl/internal/executor"
)

// project is everything the checks read, gathered once per run so that each file is
// parsed (and each git command run) only once.
type project struct {
	dir  string
	opts Options
	exec executor.Executor

	cfg    *config.File
	cfgErr error

	goMod     *modfile.File // nil when absent or invalid
	goModData []byte
	goModErr  error // fs.ErrNotExist when absent

	src *sources

	env    map[string]string // .env variables; nil when there is no .env
	envErr error

	appJSON    *appJSON // nil when absent
	appJSONErr error

	git gitState

	buildFailed bool // set by the build check; the test check then skips
}

func newProject(ctx context.Context, dir string, opts Options) *project {
	p := &project{dir: dir, opts: opts, exec: opts.Exec}
	p.cfg, p.cfgErr = config.Load(dir)
	p.goModData, p.goModErr = os.ReadFile(filepath.Join(dir, "go.mod"))
	if p.goModErr == nil {
		p.goMod, p.goModErr = modfile.ParseLax("go.mod", p.goModData, nil)
	}
	p.src = loadSources(dir)
	if _, err := os.Stat(filepath.Join(dir, envfile.Name)); err == nil {
		p.env, p.envErr = envfile.Read(filepath.Join(dir, envfile.Name))
	}
	p.appJSON, p.appJSONErr = readAppJSON(filepath.Join(dir, "app.json"))
	p.git = loadGit(ctx, opts.Exec, dir)
	return p
}

// modulePath is the module path from go.mod, or "".
func (p *project) modulePath() string {
	if p.goMod == nil || p.goMod.Module == nil {
		return ""
	}
	return p.goMod.Module.Mod.Path
}

// herokuDirectives are the buildpack's comments in go.mod.
type herokuDirectives struct {
	goVersion     string // as written, e.g. "go1.25"; "" when absent
	goVersionLine int
	install       []string // package patterns; nil when absent
}

var herokuDirectiveRE = regexp.MustCompile(`^\s*//\s*\+heroku\s+(goVersion|install)\s+(.*)$`)

// directives reads the "// +heroku goVersion" and "// +heroku install" lines the way the
// buildpack does: with a line-based match, wherever they are in go.mod.
func (p *project) directives() herokuDirectives {
	var d herokuDirectives
	sc := bufio.NewScanner(bytes.NewReader(p.goModData))
	for n := 1; sc.Scan(); n++ {
		m := herokuDirectiveRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		switch m[1] {
		case "goVersion":
			if f := strings.Fields(m[2]); len(f) > 0 && d.goVersion == "" {
				d.goVersion, d.goVersionLine = f[0], n
			}
		case "install":
			d.install = append(d.install, strings.Fields(strings.ReplaceAll(m[2], ",", " "))...)
		}
	}
	return d
}

// binaryName is the name `go install` gives the command in the main package at rel
// (a slash path relative to the module root).
func binaryName(modPath, rel string) string {
	if rel != "." {
		return path.Base(rel)
	}
	// A module path ending in a major version (example.com/tool/v2) installs as "tool".
	prefix, _, ok := module.SplitPathVersion(modPath)
	if ok && prefix != "" {
		return path.Base(prefix)
	}
	return path.Base(modPath)
}

// matchesInstall reports whether the package at rel is selected by one of the patterns
// of a "+heroku install" directive ("./cmd/...", ".", "example.com/m/cmd/x", …).
func matchesInstall(modPath, rel string, patterns []string) bool {
	for _, pat := range patterns {
		if modPath != "" {
			if pat == modPath {
				pat = "."
			} else if rest, ok := strings.CutPrefix(pat, modPath+"/"); ok {
				pat = "./" + rest
			}
		}
		pat = strings.TrimPrefix(path.Clean(pat), "./")
		if pat == "..." {
			return true
		}
		if base, ok := strings.CutSuffix(pat, "/..."); ok {
			if base == "." || rel == base || strings.HasPrefix(rel, base+"/") {
				return true
			}
			continue
		}
		if rel == pat {
			return true
		}
	}
	return false
}

// appJSON is the part of Heroku's app.json that doctor reads.
type appJSON struct {
	Formation map[string]struct {
		Quantity *int   `json:"quantity"`
		Size     string `json:"size"`
	} `json:"formation"`
	Env map[string]appJSONEnv `json:"env"`
}

// appJSONEnv is an env entry: either a plain string or {"value": …, …}.
type appJSONEnv struct {
	Value string
	Set   bool // a value is given (not only a description)
}

func (e *appJSONEnv) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		e.Value, e.Set = s, true
		return nil
	}
	var obj struct {
		Value *string `json:"value"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	if obj.Value != nil {
		e.Value, e.Set = *obj.Value, true
	}
	return nil
}

func readAppJSON(p string) (*appJSON, error) {
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var a appJSON
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("app.json: %w", err)
	}
	return &a, nil
}

// appEnv returns the value app.json gives a variable, if it gives one.
func (p *project) appEnv(name string) (string, bool) {
	if p.appJSON == nil {
		return "", false
	}
	e, ok := p.appJSON.Env[name]
	return e.Value, ok && e.Set
}

// webQuantity is app.json's formation.web.quantity; 0 when not given.
func (p *project) webQuantity() int {
	if p.appJSON == nil {
		return 0
	}
	if w, ok := p.appJSON.Formation["web"]; ok && w.Quantity != nil {
		return *w.Quantity
	}
	return 0
}

// envInt parses a variable's value as an integer, when it is one.
func envInt(v string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	return n, err == nil
}
