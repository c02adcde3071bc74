// Package doctor checks a project for the pitfalls that break a remote MCP server once it
// is deployed: a server that ignores $PORT, a path that disagrees with mcpctl.toml, the
// legacy SSE transport, a Procfile that runs nothing, secrets in git, auth off, sessions
// with several dynos, wildcard CORS, a build or tests that fail. Every problem is a
// Finding with a stable id, a severity and the fix; problems are data, never Go errors.
// `mcpctl doctor` prints the report, and `mcpctl deploy` runs it as a preflight.
package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/internal/executor"
)

// SchemaVersion is the version of the Report JSON shape. Fields are only ever added within
// a version; a removal or a change of meaning bumps it.
const SchemaVersion = 1

// Severity says how much a finding matters. Only errors make a report fail.
type Severity string

// Severities.
const (
	SeverityError   Severity = "error"   // the deploy will break or leak a secret
	SeverityWarning Severity = "warning" // probably wrong; works in some setups
	SeverityInfo    Severity = "info"    // worth knowing, nothing to fix
)

// Status is the outcome of one check.
type Status string

// Check statuses.
const (
	StatusPass Status = "pass"
	StatusWarn Status = "warn" // warnings, no errors
	StatusFail Status = "fail" // at least one error
	StatusSkip Status = "skip" // not run (--fast, or something it needs is missing)
)

// Check ids, in the order Run runs them. They are stable: scripts match on them.
const (
	CheckConfig    = "config"    // mcpctl.toml loads and validates
	CheckGit       = "git"       // the project is a git repository (deploys push with git)
	CheckPort      = "port"      // the server listens on $PORT, on every interface
	CheckPath      = "path"      // the MCP path baked into the code matches mcpctl.toml
	CheckSSE       = "sse"       // no legacy HTTP+SSE transport
	CheckTiming    = "timing"    // nothing cuts long calls: no WriteTimeout, no JSON responses, no sleeping dynos
	CheckTools     = "tools"     // every tool declared in tools/ is registered
	CheckProcfile  = "procfile"  // a web process that runs the binary the build makes
	CheckGoMod     = "gomod"     // go.mod has the Heroku buildpack's directives
	CheckEnv       = "env"       // .env is git-ignored, untracked and mode 0600
	CheckSecrets   = "secrets"   // no key or secret in tracked files or in history
	CheckAuth      = "auth"      // authentication is on for a deploy
	CheckStateless = "stateless" // no sessions with more than one web process
	CheckCORS      = "cors"      // no wildcard origin
	CheckDeployed  = "deployed"  // the deployed service's settings fit MCP clients (Cloud Run)
	CheckBuild     = "build"     // go build ./...
	CheckTest      = "test"      // go test ./...
)

// Finding ids. Each names one pitfall and has one fix.
const (
	IDConfigMissing    = "config-missing"
	IDConfigInvalid    = "config-invalid"
	IDGitMissing       = "git-missing"
	IDGitNoRepo        = "git-no-repo"
	IDGitNoCommit      = "git-no-commit"
	IDGitSubfolder     = "git-subfolder"
	IDPortNotRead      = "port-not-read"
	IDPortHardcoded    = "port-hardcoded"
	IDPortLoopback     = "port-loopback"
	IDPathMismatch     = "path-mismatch"
	IDSSETransport     = "sse-transport"
	IDWriteTimeout     = "write-timeout"
	IDJSONResponse     = "json-response"
	IDEcoDynos         = "eco-dynos"
	IDToolUnregistered = "tool-unregistered"
	IDProcfileMissing  = "procfile-missing"
	IDProcfileNoWeb    = "procfile-no-web"
	IDProcfileBinary   = "procfile-binary"
	IDGoModMissing     = "gomod-missing"
	IDGoModInvalid     = "gomod-invalid"
	IDGoVersionMissing = "goversion-missing"
	IDGoVersionOld     = "goversion-old"
	IDInstallMissing   = "install-missing"
	IDEnvTracked       = "env-tracked"
	IDEnvNotIgnored    = "env-not-ignored"
	IDEnvMode          = "env-mode"
	IDEnvInvalid       = "env-invalid"
	IDSecretTracked    = "secret-tracked"
	IDSecretInHistory  = "secret-in-history"
	IDAuthNone         = "auth-none"
	IDStatefulScaled   = "stateful-scaled"
	IDStatelessAppJSON = "stateless-app-json"
	IDCORSWildcard     = "cors-wildcard"
	IDColdStart        = "cold-start"
	IDRequestTimeout   = "request-timeout"
	IDGoMissing        = "go-missing"
	IDBuildFailed      = "build-failed"
	IDTestFailed       = "test-failed"
)

// Finding is one problem, with what to do about it.
type Finding struct {
	ID       string   `json:"id"`    // stable, e.g. "env-tracked"
	Check    string   `json:"check"` // the check that found it, e.g. "env"
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`            // one line: what is wrong
	Detail   string   `json:"detail,omitempty"` // why it matters, or the evidence (may span lines)
	Fix      string   `json:"fix,omitempty"`    // the next thing to do
	File     string   `json:"file,omitempty"`   // slash path relative to the project, when one file is at fault
	Line     int      `json:"line,omitempty"`
}

// CheckResult is the outcome of one check.
type CheckResult struct {
	ID         string `json:"id"`
	Title      string `json:"title"`  // what the check verifies
	Status     Status `json:"status"` // pass, warn, fail or skip
	Detail     string `json:"detail"` // one line: what was seen, the first problem, or why it was skipped
	DurationMS int64  `json:"duration_ms"`
}

// Report is the result of a doctor run: what `mcpctl doctor --json` prints.
type Report struct {
	SchemaVersion int           `json:"schema_version"`
	Dir           string        `json:"dir"`
	Fast          bool          `json:"fast"` // build and test were skipped
	Errors        int           `json:"errors"`
	Warnings      int           `json:"warnings"`
	Summary       string        `json:"summary"`
	DurationMS    int64         `json:"duration_ms"`
	Checks        []CheckResult `json:"checks"`
	Findings      []Finding     `json:"findings"` // in check order; errors first within a check
}

// OK reports whether nothing is an error: the project may be deployed.
func (r *Report) OK() bool {
	for _, f := range r.Findings {
		if f.Severity == SeverityError {
			return false
		}
	}
	return true
}

// Has reports whether the report has a finding with the given id.
func (r *Report) Has(id string) bool {
	_, ok := r.Finding(id)
	return ok
}

// Finding returns the first finding with the given id.
func (r *Report) Finding(id string) (Finding, bool) {
	for _, f := range r.Findings {
		if f.ID == id {
			return f, true
		}
	}
	return Finding{}, false
}

// Check returns the result of the check with the given id.
func (r *Report) Check(id string) (CheckResult, bool) {
	for _, c := range r.Checks {
		if c.ID == id {
			return c, true
		}
	}
	return CheckResult{}, false
}

// MarshalJSON adds "ok", which OK computes, to the report's fields.
func (r *Report) MarshalJSON() ([]byte, error) {
	type plain Report // without the method, so Marshal does not recurse
	return json.Marshal(struct {
		SchemaVersion int  `json:"schema_version"`
		OK            bool `json:"ok"`
		*plain
	}{r.SchemaVersion, r.OK(), (*plain)(r)})
}

// WriteJSON writes r as one indented JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// Err returns nil when the report is OK, else a *FailedError for callers (such as a
// deploy's preflight) that treat errors as a reason to stop.
func (r *Report) Err() error {
	if r.OK() {
		return nil
	}
	return &FailedError{Report: r}
}

// FailedError is a report with at least one error.
type FailedError struct{ Report *Report }

func (e *FailedError) Error() string {
	for _, f := range e.Report.Findings {
		if f.Severity == SeverityError {
			return fmt.Sprintf("mcpctl doctor: %s (%s): %s", e.Report.Summary, f.ID, f.Title)
		}
	}
	return "mcpctl doctor: " + e.Report.Summary
}

// Hint names the command that shows every problem and its fix.
func (e *FailedError) Hint() string {
	return "run `mcpctl doctor` to see every problem and its fix"
}

// Options configure a run.
type Options struct {
	// Dir is the project directory.
	Dir string
	// Exec runs git and go.
	Exec executor.Executor
	// Fast skips the build and test checks, which run the go command.
	Fast bool
	// ForDeploy makes findings that only matter on a public deploy errors even when
	// mcpctl.toml names no app yet (the deploy is about to create one).
	ForDeploy bool
	// Deployed, when set, reads the deployed service's settings (a platform call) for
	// the checks that compare them with what MCP clients need; nil skips them.
	Deployed func(ctx context.Context) (*Deployed, error)
	// OnCheck, when set, is called after each check, in order, so a caller can print
	// progress while build and test run.
	OnCheck func(CheckResult)
}

// checkDef is one check: its id, what it verifies, and the function that runs it.
type checkDef struct {
	id, title string
	run       func(ctx context.Context, p *project) outcome
}

// outcome is what a check function returns: the findings, and for a check without any a
// one-line description of what it saw (or why it was skipped).
type outcome struct {
	findings []Finding
	detail   string
	skipped  bool
}

func skip(reason string) outcome { return outcome{skipped: true, detail: reason} }
func pass(detail string) outcome { return outcome{detail: detail} }

// checks lists every check in run order. Build and test come last: they are the slowest.
func checks() []checkDef {
	return []checkDef{
		{CheckConfig, "mcpctl.toml loads", checkConfig},
		{CheckGit, "git repository", checkGit},
		{CheckPort, "server binds $PORT", checkPort},
		{CheckPath, "MCP path matches mcpctl.toml", checkPath},
		{CheckSSE, "no legacy SSE transport", checkSSE},
		{CheckTiming, "long calls survive routers and restarts", checkTiming},
		{CheckTools, "every tool is registered", checkTools},
		{CheckProcfile, "Procfile runs the built binary", checkProcfile},
		{CheckGoMod, "go.mod has the buildpack directives", checkGoMod},
		{CheckEnv, ".env is private", checkEnv},
		{CheckSecrets, "no secrets in git", checkSecrets},
		{CheckAuth, "authentication is on", checkAuth},
		{CheckStateless, "sessions fit the process count", checkStateless},
		{CheckCORS, "CORS origins are exact", checkCORS},
		{CheckDeployed, "the deployed service fits MCP clients", checkDeployed},
		{CheckBuild, "project builds", checkBuild},
		{CheckTest, "tests pass", checkTest},
	}
}

// CheckIDs returns every check id in run order.
func CheckIDs() []string {
	var ids []string
	for _, c := range checks() {
		ids = append(ids, c.id)
	}
	return ids
}

// Run checks the project in opts.Dir. Problems with the project are findings in the
// report; an error means doctor could not run at all (bad options, ctx cancelled).
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.Exec == nil {
		return nil, errors.New("doctor: no executor")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("doctor: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("doctor: %s is not a directory", dir)
	}
	start := time.Now()
	p := newProject(ctx, dir, opts)
	r := &Report{SchemaVersion: SchemaVersion, Dir: dir, Fast: opts.Fast, Checks: []CheckResult{}, Findings: []Finding{}}
	for _, c := range checks() {
		t0 := time.Now()
		o := c.run(ctx, p)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res := CheckResult{ID: c.id, Title: c.title, DurationMS: time.Since(t0).Milliseconds()}
		res.Status, res.Detail = summarize(o)
		sortFindings(o.findings)
		for i := range o.findings {
			o.findings[i].Check = c.id
			switch o.findings[i].Severity {
			case SeverityError:
				r.Errors++
			case SeverityWarning:
				r.Warnings++
			}
		}
		r.Checks = append(r.Checks, res)
		r.Findings = append(r.Findings, o.findings...)
		if opts.OnCheck != nil {
			opts.OnCheck(res)
		}
	}
	r.DurationMS = time.Since(start).Milliseconds()
	r.Summary = summary(r)
	return r, nil
}

func summarize(o outcome) (Status, string) {
	if o.skipped {
		return StatusSkip, o.detail
	}
	status := StatusPass
	var first *Finding
	for i := range o.findings {
		f := &o.findings[i]
		switch {
		case f.Severity == SeverityError && status != StatusFail:
			status, first = StatusFail, f
		case f.Severity == SeverityWarning && status == StatusPass:
			status, first = StatusWarn, f
		}
	}
	if first == nil {
		return status, o.detail
	}
	detail := first.Title
	if n := len(o.findings) - 1; n > 0 {
		detail += fmt.Sprintf(" (and %d more)", n)
	}
	return status, detail
}

// sortFindings puts errors before warnings before infos, keeping the order otherwise.
func sortFindings(fs []Finding) {
	rank := map[Severity]int{SeverityError: 0, SeverityWarning: 1, SeverityInfo: 2}
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && rank[fs[j].Severity] < rank[fs[j-1].Severity]; j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
}

func summary(r *Report) string {
	switch {
	case r.Errors == 0 && r.Warnings == 0:
		return "no problems found"
	case r.Errors == 0:
		return plural(r.Warnings, "warning")
	case r.Warnings == 0:
		return plural(r.Errors, "error")
	}
	return plural(r.Errors, "error") + ", " + plural(r.Warnings, "warning")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// checkConfig reports a project file that is missing or invalid. Later checks that need
// its values skip when it did not load.
func checkConfig(_ context.Context, p *project) outcome {
	var nf *config.NotFoundError
	var ce *config.Error
	switch {
	case p.cfg != nil:
		s := p.cfg.Server
		mode := "stateless"
		if !s.Stateless {
			mode = "stateful"
		}
		return pass(fmt.Sprintf("%s: %s, auth %s, %s", p.cfg.Project.Name, s.Path, s.Auth, mode))
	case errors.As(p.cfgErr, &nf):
		return outcome{findings: []Finding{{
			ID: IDConfigMissing, Severity: SeverityError,
			Title:  "no " + config.FileName + " in " + p.dir,
			Detail: "mcpctl reads the server's path, auth, sessions and CORS origins from it, and passes them to the server on dev and deploy.",
			Fix:    "run doctor in a project made by `mcpctl init` (or pass --dir), or create one with `mcpctl init NAME`",
		}}}
	case errors.As(p.cfgErr, &ce):
		f := Finding{
			ID: IDConfigInvalid, Severity: SeverityError,
			Title: config.FileName + " is invalid", Detail: ce.Error(), Fix: ce.Hint(), File: config.FileName,
		}
		if len(ce.Problems) > 0 {
			f.Line = ce.Problems[0].Line
		}
		return outcome{findings: []Finding{f}}
	}
	return outcome{findings: []Finding{{
		ID: IDConfigInvalid, Severity: SeverityError,
		Title: config.FileName + " cannot be read", Detail: p.cfgErr.Error(), File: config.FileName,
		Fix: "make " + config.FileName + " readable and run the command again",
	}}}
}
