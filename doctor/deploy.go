package doctor

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/version"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mcpctl/mcpctl/config"
)

// builtBinary is a command the Heroku Go buildpack would build into bin/.
type builtBinary struct {
	name      string // bin/<name>
	pkg       string // "./cmd/x" or "."
	installed bool   // selected by go.mod's install directive (or no directive)
}

// binaries lists the commands of the project and whether the buildpack builds each.
// Without an install directive current buildpacks build every main package; older ones
// build only the root, which the gomod check reports.
func (p *project) binaries() []builtBinary {
	mod := p.modulePath()
	d := p.directives()
	var out []builtBinary
	for _, m := range p.src.mains {
		pkg := "./" + m
		if m == "." {
			pkg = "."
		}
		out = append(out, builtBinary{
			name:      binaryName(mod, m),
			pkg:       pkg,
			installed: d.install == nil || matchesInstall(mod, m, d.install),
		})
	}
	return out
}

// checkProcfile checks that the Procfile's web process runs a binary the build makes:
// bin/<name> for the classic buildpack, or <name> on PATH for Cloud Native Buildpacks.
func checkProcfile(_ context.Context, p *project) outcome {
	bins := p.binaries()
	want := p.wantBinary(bins)
	data, err := os.ReadFile(filepath.Join(p.dir, "Procfile"))
	if errors.Is(err, fs.ErrNotExist) {
		return outcome{findings: []Finding{{
			ID: IDProcfileMissing, Severity: SeverityError,
			Title:  "no Procfile",
			Detail: "Heroku starts the web dyno with the Procfile's web command; without one it does not know which binary serves HTTP.",
			Fix:    fmt.Sprintf("echo 'web: bin/%s' > Procfile && git add Procfile", want),
		}}}
	}
	if err != nil {
		return outcome{findings: []Finding{{ID: IDProcfileMissing, Severity: SeverityError, Title: "the Procfile cannot be read", Detail: err.Error(), File: "Procfile", Fix: "make the Procfile readable"}}}
	}
	web, line := "", 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		name, cmd, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(name) == "web" {
			web, line = strings.TrimSpace(cmd), n
			break
		}
	}
	prog := procfileProgram(web)
	if prog == "" {
		return outcome{findings: []Finding{{
			ID: IDProcfileNoWeb, Severity: SeverityError, File: "Procfile", Line: line,
			Title:  "the Procfile has no web process",
			Detail: "Only the web process type receives HTTP traffic on Heroku.",
			Fix:    fmt.Sprintf("add this line to the Procfile: web: bin/%s", want),
		}}}
	}
	name, ok := builtName(prog)
	for _, b := range bins {
		if !ok || b.name != name {
			continue
		}
		if !b.installed {
			return outcome{findings: []Finding{{
				ID: IDProcfileBinary, Severity: SeverityError, File: "Procfile", Line: line,
				Title:  fmt.Sprintf("the web process runs %s, but go.mod's install directive does not build %s", prog, b.pkg),
				Detail: "The buildpack installs only the packages `// +heroku install` names, so bin/" + name + " will not exist on the dyno.",
				Fix:    fmt.Sprintf("add %s to the `// +heroku install` line in go.mod", b.pkg),
			}}}
		}
		return pass(fmt.Sprintf("web: %s (built from %s)", web, b.pkg))
	}
	var made []string
	for _, b := range bins {
		if b.installed {
			made = append(made, "bin/"+b.name)
		}
	}
	detail := "The build makes " + quoteList(made) + "; the dyno fails to start with \"command not found\"."
	if len(made) == 0 {
		detail = "The project has no main package the buildpack builds, so there is nothing for the web process to run."
	}
	return outcome{findings: []Finding{{
		ID: IDProcfileBinary, Severity: SeverityError, File: "Procfile", Line: line,
		Title:  fmt.Sprintf("the web process runs %q, which the build does not make", prog),
		Detail: detail,
		Fix:    fmt.Sprintf("set the Procfile's web line to: web: bin/%s", want),
	}}}
}

// wantBinary is the binary the Procfile should run, for fixes: the first one the build
// makes, else the project's name.
func (p *project) wantBinary(bins []builtBinary) string {
	for _, b := range bins {
		if b.installed {
			return b.name
		}
	}
	if len(bins) > 0 {
		return bins[0].name
	}
	if p.cfg != nil {
		return p.cfg.Project.Name
	}
	return "NAME"
}

// procfileProgram is the program a Procfile command runs, after leading VAR=value
// assignments and exec.
func procfileProgram(cmd string) string {
	for _, f := range strings.Fields(cmd) {
		if f == "exec" || (strings.Contains(f, "=") && !strings.Contains(f, "/")) {
			continue
		}
		return f
	}
	return ""
}

// builtName returns the binary name a Procfile program refers to: "bin/x", "./bin/x",
// "/app/bin/x" and "$HOME/bin/x" are the classic buildpack's bin/x; a bare "x" is a
// binary on PATH (Cloud Native Buildpacks). Anything else is not a built binary.
func builtName(prog string) (string, bool) {
	prog = strings.TrimPrefix(prog, "./")
	if !strings.Contains(prog, "/") {
		return prog, true
	}
	if path.Base(path.Dir(prog)) == "bin" {
		return path.Base(prog), true
	}
	return "", false
}

// checkGoMod checks the directives the Heroku Go buildpack reads from go.mod: the Go
// version to build with, and which packages to install when the command is not at the
// module root.
func checkGoMod(_ context.Context, p *project) outcome {
	switch {
	case errors.Is(p.goModErr, fs.ErrNotExist):
		name := "NAME"
		if p.cfg != nil {
			name = p.cfg.Project.Name
		}
		return outcome{findings: []Finding{{
			ID: IDGoModMissing, Severity: SeverityError,
			Title:  "no go.mod",
			Detail: "Heroku detects a Go app by its go.mod, and the Go buildpack builds only modules.",
			Fix:    "go mod init " + name + " && go mod tidy",
		}}}
	case p.goModErr != nil:
		return outcome{findings: []Finding{{
			ID: IDGoModInvalid, Severity: SeverityError, File: "go.mod",
			Title: "go.mod does not parse", Detail: p.goModErr.Error(),
			Fix: "fix go.mod (`go mod edit -fmt` shows the first error)",
		}}}
	}
	d := p.directives()
	goLine := ""
	if p.goMod.Go != nil {
		goLine = "go" + p.goMod.Go.Version
	}
	pin := "go1.25"
	if goLine != "" {
		pin = version.Lang(goLine)
	}
	var fs []Finding
	if d.goVersion == "" {
		fs = append(fs, Finding{
			ID: IDGoVersionMissing, Severity: SeverityError, File: "go.mod",
			Title: "go.mod has no `// +heroku goVersion` directive",
			Detail: "The classic Heroku Go buildpack builds with the Go release this directive names, else with its own default, " +
				"which can be older than go.mod's go line (the build then fails) or differ from the Go you test with.",
			Fix: "add this line to go.mod, above the go line:  // +heroku goVersion " + pin,
		})
	} else if v := normalizeGoVersion(d.goVersion); goLine != "" && version.IsValid(v) &&
		version.Compare(version.Lang(v), version.Lang(goLine)) < 0 {
		fs = append(fs, Finding{
			ID: IDGoVersionOld, Severity: SeverityError, File: "go.mod", Line: d.goVersionLine,
			Title:  fmt.Sprintf("go.mod pins the buildpack to %s, older than its go line (%s)", d.goVersion, strings.TrimPrefix(goLine, "go")),
			Detail: "The buildpack installs the pinned release, which refuses a module that needs a newer Go.",
			Fix:    "change the directive to:  // +heroku goVersion " + pin,
		})
	}
	rootMain := false
	for _, m := range p.src.mains {
		rootMain = rootMain || m == "."
	}
	bins := p.binaries()
	if !rootMain && len(bins) > 0 {
		anyInstalled := false
		for _, b := range bins {
			anyInstalled = anyInstalled || b.installed
		}
		switch {
		case d.install == nil:
			fs = append(fs, Finding{
				ID: IDInstallMissing, Severity: SeverityError, File: "go.mod",
				Title: fmt.Sprintf("the main package is in %s, and go.mod has no `// +heroku install` directive", bins[0].pkg),
				Detail: "Without the directive, older Go buildpacks install only the module root, which has no main package, " +
					"so bin/ stays empty and the web process cannot start.",
				Fix: "add this line to go.mod:  // +heroku install ./cmd/...",
			})
		case !anyInstalled:
			fs = append(fs, Finding{
				ID: IDInstallMissing, Severity: SeverityError, File: "go.mod",
				Title:  fmt.Sprintf("go.mod's `// +heroku install %s` selects no main package", strings.Join(d.install, " ")),
				Detail: "The buildpack installs only those packages, so bin/ stays empty and the web process cannot start.",
				Fix:    "change the directive to name the command, e.g.:  // +heroku install " + bins[0].pkg,
			})
		}
	}
	if len(fs) > 0 {
		return outcome{findings: fs}
	}
	detail := "goVersion " + d.goVersion
	if d.install != nil {
		detail += ", install " + strings.Join(d.install, " ")
	}
	return pass(detail)
}

// normalizeGoVersion turns a goVersion directive ("go1.25", "1.25", "=1.25.3", "^1.25")
// into a go/version string.
func normalizeGoVersion(v string) string {
	v = strings.TrimLeft(v, "=^~<> ")
	if !strings.HasPrefix(v, "go") {
		v = "go" + v
	}
	return v
}

// checkAuth refuses an unauthenticated server on a public deploy: anyone who finds the
// URL could call every tool.
func checkAuth(_ context.Context, p *project) outcome {
	if p.cfg == nil {
		return skip(config.FileName + " did not load")
	}
	if fs := authCodeFindings(p); len(fs) > 0 {
		return outcome{findings: fs}
	}
	auth, where := p.cfg.Server.Auth, "mcpctl.toml"
	if v, ok := p.appEnv("MCP_AUTH"); ok && v == config.AuthNone {
		auth, where = v, "app.json (MCP_AUTH)"
	}
	if auth != config.AuthNone {
		return pass(auth)
	}
	f := Finding{
		ID: IDAuthNone, Severity: SeverityWarning, File: "mcpctl.toml",
		Title:  "authentication is off (auth = \"none\" in " + where + ")",
		Detail: "Fine for local development; on a public URL anyone who finds it can call every tool. The generated server refuses a public address without auth unless MCP_ALLOW_UNAUTHENTICATED=1.",
		Fix:    "before deploying, set auth = \"apikey\" in mcpctl.toml and run mcpctl keys new (the key goes to .env; mcpctl deploy gives the platform only its hash)",
	}
	if where != "mcpctl.toml" {
		f.File = "app.json"
	}
	switch app := p.cfg.Deploy.Heroku.App; {
	case app != "":
		f.Severity = SeverityError
		f.Title += ", and mcpctl.toml deploys to Heroku app " + app
	case p.opts.ForDeploy:
		f.Severity = SeverityError
	}
	return outcome{findings: []Finding{f}}
}

// checkStateless refuses sessions with more than one web process: a session lives in one
// process, and Heroku's router (whose affinity is a cookie MCP clients don't keep) sends
// a session's requests to any dyno.
func checkStateless(_ context.Context, p *project) outcome {
	if p.cfg == nil {
		return skip(config.FileName + " did not load")
	}
	var fs []Finding
	stateless := p.cfg.Server.Stateless
	if v, ok := p.appEnv("MCP_STATELESS"); ok {
		if b, err := strconv.ParseBool(v); err == nil && b != stateless {
			fs = append(fs, Finding{
				ID: IDStatelessAppJSON, Severity: SeverityWarning, File: "app.json",
				Title:  fmt.Sprintf("app.json sets MCP_STATELESS=%s; mcpctl.toml says stateless = %t", v, stateless),
				Detail: "mcpctl deploy uses mcpctl.toml; a Heroku Button or review app deploy uses app.json and would run the other mode.",
				Fix:    fmt.Sprintf("set MCP_STATELESS's value to \"%t\" in app.json", stateless),
			})
			stateless = stateless && b
		}
	}
	if stateless {
		return outcome{findings: fs, detail: "stateless: any number of web processes"}
	}
	var why []string
	if q := p.webQuantity(); q > 1 {
		why = append(why, fmt.Sprintf("app.json formation.web.quantity = %d", q))
	}
	if v, ok := p.appEnv("WEB_CONCURRENCY"); ok {
		if n, ok := envInt(v); ok && n > 1 {
			why = append(why, fmt.Sprintf("WEB_CONCURRENCY=%d in app.json", n))
		}
	}
	if n, ok := envInt(p.env["WEB_CONCURRENCY"]); ok && n > 1 {
		why = append(why, fmt.Sprintf("WEB_CONCURRENCY=%d in .env", n))
	}
	if len(why) > 0 {
		fs = append(fs, Finding{
			ID: IDStatefulScaled, Severity: SeverityError, File: "mcpctl.toml",
			Title: "stateless = false with more than one web process (" + strings.Join(why, ", ") + ")",
			Detail: "A session lives in the process that created it; other processes answer its requests with \"session not found\". " +
				"Heroku's session affinity is a cookie, which MCP clients don't keep.",
			Fix: "set stateless = true in mcpctl.toml (needed false only for sampling or elicitation), or run one web process: quantity 1 in app.json, no WEB_CONCURRENCY, `heroku ps:scale web=1`",
		})
	}
	return outcome{findings: fs, detail: "stateful, one web process"}
}

// checkCORS refuses a wildcard origin wherever it can be set: mcpctl.toml refuses one when
// it loads, so the places left are .env and app.json.
func checkCORS(_ context.Context, p *project) outcome {
	type setting struct{ file, value string }
	var settings []setting
	if v := p.env["MCP_ALLOWED_ORIGINS"]; v != "" {
		settings = append(settings, setting{".env", v})
	}
	if v, ok := p.appEnv("MCP_ALLOWED_ORIGINS"); ok {
		settings = append(settings, setting{"app.json", v})
	}
	var fs []Finding
	for _, src := range settings {
		if !strings.Contains(src.value, "*") {
			continue
		}
		fs = append(fs, Finding{
			ID: IDCORSWildcard, Severity: SeverityError, File: src.file,
			Title:  fmt.Sprintf("%s allows every origin (MCP_ALLOWED_ORIGINS=%s)", src.file, src.value),
			Detail: "A wildcard lets any web page a user visits call the server from their browser; the generated server refuses to start with one.",
			Fix:    "list each browser origin exactly in allowed_origins in mcpctl.toml (e.g. https://app.example.com) and remove MCP_ALLOWED_ORIGINS from " + src.file,
		})
	}
	if len(fs) > 0 {
		return outcome{findings: fs}
	}
	if p.cfg == nil || len(p.cfg.Server.AllowedOrigins) == 0 {
		return pass("no browser origins allowed")
	}
	return pass(plural(len(p.cfg.Server.AllowedOrigins), "exact origin"))
}
