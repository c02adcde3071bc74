package deployers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/gitrepo"
	"github.com/mcpctl/mcpctl/internal/executor"
	"github.com/mcpctl/mcpctl/keys"
	"github.com/mcpctl/mcpctl/serverenv"
)

// Phase names of a deploy, in order. Progress events carry them.
const (
	PhasePreflight = "preflight"
	PhaseApp       = "app"
	PhaseConfig    = "config"
	PhasePush      = "push"
	PhaseVerify    = "verify"
	PhaseRollback  = "rollback"
)

// Event reports deploy progress: a phase starting (Done false) or finished (Done true),
// or a message within it.
type Event struct {
	Phase   string
	Done    bool
	Message string
}

// VerifyFunc checks a deployed MCP endpoint the way a client would. It returns nil when
// the endpoint works, else an error that says what is wrong.
type VerifyFunc func(ctx context.Context, endpoint string) error

// Deployer is a Platform that mcpctl can deploy to: the steps of the pipeline that
// differ between platforms. The pipeline (Deploy) decides their order, what a dry run
// shows, and when to stop or roll back. A platform that makes its app before the first
// push is also a Creator; one that ships config with the code is a ConfigPusher.
type Deployer interface {
	Platform
	// Manual names the platform and its commands in the messages a user reads. It is
	// read after SetTarget, so it may name the app.
	Manual() Manual
	// Resolve completes and checks the target of a deploy of project. t holds what the
	// command line gives, else what mcpctl.toml records; its App is always set. Resolve
	// fills in defaults and, when online, asks the platform for what is still missing.
	// A setting it cannot find goes to need, which stops a deploy but lets a dry run go
	// on; Resolve then puts a placeholder such as "<region>" in t.
	Resolve(ctx context.Context, project *config.File, t *Target, online bool, need func(error) error) error
	// Records is what mcpctl.toml keeps of t in the platform's table, in a stable order;
	// nil when t holds a placeholder.
	Records(t Target) []Setting
	// SetTarget chooses the app the following calls act on.
	SetTarget(t Target)
	// SetProgress reports what the platform waits for, or does beyond the steps, as
	// messages of the running phase (nil: silent).
	SetProgress(func(message string))

	// CheckAccess reports whether the platform's CLI is installed and logged in.
	CheckAccess(ctx context.Context) error
	// Lookup returns the app, nil when it does not exist.
	Lookup(ctx context.Context) (*App, error)
	// CheckApp refuses an app the project cannot run on as it is configured.
	CheckApp(app *App, project *config.File) error
	// Attach prepares the repository for pushes to the app (a git remote); Push works
	// without it.
	Attach(ctx context.Context, repo *gitrepo.Repo) error
	// LastGood is the release a failed deploy returns to; zero when there is none.
	LastGood(ctx context.Context) (Release, error)
	// Push deploys the committed project, streaming the build output to out.
	Push(ctx context.Context, repo *gitrepo.Repo, out io.Writer) error
	// AwaitRelease waits for the pushed release to finish and returns it.
	AwaitRelease(ctx context.Context) (Release, error)
	// AwaitInstances waits until every instance runs the latest release.
	AwaitInstances(ctx context.Context) error
	// Instances describes what the app runs on (such as Heroku's dyno size), with notes
	// worth a user's attention; a failure to read it is no error.
	Instances(ctx context.Context) (kind string, notes []string)
	// Logs returns the app's last n log lines.
	Logs(ctx context.Context, n int) (string, error)
	// Rollback returns the app to release r.
	Rollback(ctx context.Context, r Release) error
	// Report is a deploy's result in the platform's words.
	Report(res *DeployResult) Report

	// The commands a dry run shows for each step, or a person runs by hand.
	PlanLookup(region string) string
	PlanAttach(repo *gitrepo.Repo) string // "" when Attach does nothing
	PlanConfig(changes map[string]string) string
	PlanPush(repo *gitrepo.Repo) string
	PlanRollback(r Release) string
}

// Creator is a Deployer that makes the app before the first push (Heroku). On a
// platform without it the first push makes the app (Cloud Run), and the app's URL is
// known only after that push.
type Creator interface {
	// Create makes the app in region.
	Create(ctx context.Context, region string) (*App, error)
	PlanCreate(region string) string
}

// ConfigPusher is a Deployer whose push makes one revision of the code and its config
// together (Cloud Run sets env vars with the deploy): the config changes go with the
// push instead of being a release of their own.
type ConfigPusher interface {
	PushConfig(ctx context.Context, repo *gitrepo.Repo, changes map[string]string, out io.Writer) error
	PlanPushConfig(repo *gitrepo.Repo, changes map[string]string) []string
}

// Manual is how messages name a platform, its parts and its commands.
type Manual struct {
	Title      string // "Heroku"
	App        string // what the platform calls an app: "app", "service"
	URL        string // what messages call its URL before it is known: "web url"
	Release    string // what a deploy makes: "release", "revision"
	RolledBack string // what a rollback did, before the release: "the app was rolled back to"
	Logs       string // the command that follows the app's logs
	LogLines   int    // how many log lines a failed deploy shows
}

// Setting is one key of a platform's table in mcpctl.toml.
type Setting struct{ Key, Value string }

// Report is a deploy's result as a platform presents it.
type Report struct {
	// JSON is the result printed by --json; its field names are kept for scripts.
	JSON any
	// Headline is the summary's first line, such as "Deployed weather (release v5)".
	Headline string
	// Details are label and value lines the summary shows after the endpoint.
	Details [][2]string
}

// App is what the pipeline needs of a platform's app.
type App struct {
	Name   string
	WebURL string // "" when not known yet
	// Config is the app's environment when Lookup read it with the app; nil: the
	// pipeline asks Config.
	Config map[string]string
}

// Release is one release (Heroku) or revision (Cloud Run) of an app.
type Release struct {
	Version int    // Heroku's release number, 0 when the platform has none
	ID      string // the platform's name for it, when it is not "v<Version>"
}

// IsZero reports whether r is no release.
func (r Release) IsZero() bool { return r == Release{} }

func (r Release) String() string {
	if r.ID != "" {
		return r.ID
	}
	return fmt.Sprintf("v%d", r.Version)
}

// Error is a failed deploy step, with the next thing to try.
type Error struct {
	Step string
	Err  error
	Fix  string
}

func (e *Error) Error() string { return e.Step + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Hint is the next thing to try.
func (e *Error) Hint() string { return e.Fix }

// DeployOptions says what to deploy and how.
type DeployOptions struct {
	Project *config.File
	// Env is the project's .env; it supplies the keys whose hashes the app gets.
	Env map[string]string
	// App, Region and PlatformProject (Cloud Run's Google Cloud project) override what
	// mcpctl.toml records.
	App, Region, PlatformProject string

	DryRun     bool // print what would change, change nothing
	Yes        bool // commit uncommitted work instead of refusing
	NoRollback bool // keep a release that failed verification
	// DropUnknownKeys removes key hashes the app accepts that no key in Env matches;
	// by default they are kept (a teammate's, CI's, another clone's key).
	DropUnknownKeys bool

	// Dir is the project directory.
	Dir string
	// Preflight runs the project's own checks (mcpctl doctor) before anything changes.
	Preflight func(context.Context) error
	// Verify checks the deployed endpoint; nil skips verification.
	Verify VerifyFunc
	// Record stores the settings of a newly chosen target in [table] of mcpctl.toml;
	// CheckRecord reports, before anything changes, that Record would fail.
	Record, CheckRecord func(table string, settings []Setting) error
	// Exec runs git; the platform runs its own CLI.
	Exec executor.Executor

	// Output receives the build output of the push and the logs of a failed release.
	Output   io.Writer
	Progress func(Event)
}

// DeployResult is what a deploy did. Each platform reports it in its own words
// (Deployer.Report).
type DeployResult struct {
	App     string // the app's name on the platform
	Region  string
	Project string // the platform's project the app belongs to (Cloud Run)
	Created bool
	WebURL  string
	// Endpoint is the deployed MCP endpoint.
	Endpoint      string
	ConfigChanged []string
	Release       Release
	Verified      bool
	// InstanceType is what the app runs on (Heroku's dyno size); empty when unknown.
	InstanceType string
	RolledBackTo Release
	DryRun       bool
	// Planned lists the commands a dry run would have run.
	Planned []string
}

// DesiredConfig is the environment a deployed app must have: the server settings from
// mcpctl.toml and the hashes (never the plaintext) of every key in .env.
func DesiredConfig(project *config.File, env map[string]string) map[string]string {
	want := map[string]string{}
	for _, kv := range project.Env() {
		k, v, _ := strings.Cut(kv, "=")
		want[k] = v
	}
	if project.Server.Auth == config.AuthAPIKey {
		want[keys.HashesEnvVar] = keys.HashList(keys.InEnv(env))
	}
	return want
}

// ConfigChanges returns the variables whose value must change (an empty value unsets).
func ConfigChanges(current, want map[string]string) map[string]string {
	changes := map[string]string{}
	for k, v := range want {
		if cur, ok := current[k]; !ok && v == "" {
			continue
		} else if cur != v {
			changes[k] = v
		}
	}
	return changes
}

// deploy is one run of the pipeline.
type deploy struct {
	d        Deployer
	man      Manual
	opts     DeployOptions
	res      *DeployResult
	target   Target
	repo     *gitrepo.Repo
	progress func(Event)
	out      io.Writer
	// lateURL: the app's URL, to which an OAuth server binds its tokens, is known only
	// after the first push, so MCP_RESOURCE_URL is set then.
	lateURL bool
}

func (p *deploy) plan(cmds ...string) {
	for _, c := range cmds {
		if c != "" {
			p.res.Planned = append(p.res.Planned, c)
		}
	}
}

// Deploy ships the project in opts.Dir to d and verifies it: preflight → app → config →
// push → verify, and a rollback when verification fails. See DeployOptions.
func Deploy(ctx context.Context, d Deployer, opts DeployOptions) (*DeployResult, error) {
	p := &deploy{d: d, man: d.Manual(), opts: opts, res: &DeployResult{DryRun: opts.DryRun},
		progress: opts.Progress, out: opts.Output}
	if p.progress == nil {
		p.progress = func(Event) {}
	}
	if p.out == nil {
		p.out = io.Discard
	}
	// What the platform reports is shown within the phase that runs it.
	var mu sync.Mutex
	phase := PhasePreflight
	inner := p.progress
	p.progress = func(e Event) {
		mu.Lock()
		phase = e.Phase
		mu.Unlock()
		inner(e)
	}
	d.SetProgress(func(msg string) {
		mu.Lock()
		ph := phase
		mu.Unlock()
		inner(Event{Phase: ph, Message: msg})
	})
	defer d.SetProgress(nil)
	return p.run(ctx)
}

func (p *deploy) run(ctx context.Context) (*DeployResult, error) {
	d, opts, res, progress := p.d, p.opts, p.res, p.progress

	// 1. Preflight: nothing changes until everything that can be checked has been.
	// A dry run goes on without the platform's CLI, a login or a git identity, to show
	// what it can; the first missing prerequisite is then its error, after the plan.
	progress(Event{Phase: PhasePreflight})
	var missing error
	need := func(err error) error {
		if err != nil && opts.DryRun {
			if missing == nil {
				missing = err
			}
			return nil
		}
		return err
	}
	offline := d.CheckAccess(ctx)
	if err := need(offline); err != nil {
		return res, err
	}
	recorded := Recorded(opts.Project, d.Name())
	t := Given(opts.Project, d.Name(), opts.App, opts.Region, opts.PlatformProject)
	incomplete := false // the target holds a placeholder: the platform cannot be asked about it
	if err := d.Resolve(ctx, opts.Project, &t, offline == nil, func(err error) error {
		incomplete = incomplete || err != nil
		return need(err)
	}); err != nil {
		return res, err
	}
	d.SetTarget(t)
	p.target, p.man = t, d.Manual()
	res.App, res.Region, res.Project = t.App, t.Region, t.Project
	settings := d.Records(t)
	record := settings != nil && !slices.Equal(settings, d.Records(recorded))
	if record && !opts.DryRun && opts.CheckRecord != nil {
		// Nothing is created on the platform that the project could not then record.
		if err := opts.CheckRecord(t.Table, settings); err != nil {
			return res, &Error{Step: PhasePreflight, Err: err, Fix: "fix " + config.FileName + " so the " + p.man.App + " can be recorded in it, then deploy again; nothing was created"}
		}
	}
	work, err := p.checkWorkTree(ctx, record, need)
	if err != nil {
		return res, err
	}
	if opts.Project.Server.Auth == config.AuthAPIKey && len(keys.InEnv(opts.Env)) == 0 {
		return res, &Error{Step: PhasePreflight, Err: errors.New("auth is apikey but .env holds no key (MCP_API_KEY)"),
			Fix: "create one with `mcpctl keys new`"}
	}
	if opts.Preflight != nil {
		if err := opts.Preflight(ctx); err != nil {
			return res, err
		}
	}
	// The checks ran on the files as they are; only now, with --yes, are they committed.
	if err := p.commitWork(ctx, work); err != nil {
		return res, err
	}
	progress(Event{Phase: PhasePreflight, Done: true})

	// 2. App: find or create it; prepare the repository for the push.
	progress(Event{Phase: PhaseApp})
	if offline != nil || incomplete {
		p.plan(d.PlanLookup(t.Region))
		return p.planOffline(record, missing)
	}
	app, err := d.Lookup(ctx)
	if err != nil {
		return res, err
	}
	if app == nil {
		res.Created = true
		if c, ok := d.(Creator); ok && opts.DryRun {
			p.plan(c.PlanCreate(t.Region))
		} else if ok {
			progress(Event{Phase: PhaseApp, Message: "creating " + p.man.App + " " + t.App + " in region " + t.Region})
			if app, err = c.Create(ctx, t.Region); err != nil {
				return res, err
			}
		}
	} else if err := d.CheckApp(app, opts.Project); err != nil {
		return res, err
	}
	if app != nil {
		res.WebURL = app.WebURL
	}
	if opts.DryRun {
		p.plan(d.PlanAttach(p.repo))
	} else if err := d.Attach(ctx, p.repo); err != nil {
		return res, err
	}
	if record {
		if err := p.recordTarget(ctx, settings); err != nil {
			return res, err
		}
	}
	progress(Event{Phase: PhaseApp, Done: true, Message: t.App})

	// 3. Config: only what changed, in one release (or in the push's own revision).
	progress(Event{Phase: PhaseConfig})
	current := map[string]string{}
	switch {
	case app != nil && app.Config != nil:
		current = app.Config
	case !res.Created:
		if current, err = d.Config(ctx); err != nil {
			return res, err
		}
	}
	changes := p.configChanges(current)
	if _, ok := current[keys.EnvVar]; ok {
		progress(Event{Phase: PhaseConfig, Message: "warning: the " + p.man.App + " holds a plaintext MCP_API_KEY; unset it with `" + d.PlanConfig(map[string]string{keys.EnvVar: ""}) + "` (mcpctl sets only hashes)"})
	}
	pusher, withPush := d.(ConfigPusher)
	if len(changes) > 0 && !withPush {
		if opts.DryRun {
			p.plan(d.PlanConfig(changes))
		} else if err := d.SetConfig(ctx, changes); err != nil {
			return res, err
		}
	}
	progress(Event{Phase: PhaseConfig, Done: true, Message: fmt.Sprintf("%d changed", len(changes))})

	if opts.DryRun {
		p.planPush(pusher, withPush, changes)
		return res, nil
	}

	// 4. Push: the build runs on the platform; its output streams through.
	prev, err := d.LastGood(ctx)
	if err != nil {
		return res, err
	}
	progress(Event{Phase: PhasePush})
	if withPush {
		err = pusher.PushConfig(ctx, p.repo, changes, p.out)
	} else {
		err = d.Push(ctx, p.repo, p.out)
	}
	if err != nil {
		return res, err
	}
	progress(Event{Phase: PhasePush, Done: true})

	// 5. Verify with a real MCP client; roll back when it fails.
	progress(Event{Phase: PhaseVerify})
	rel, err := d.AwaitRelease(ctx)
	if err != nil {
		return res, err
	}
	res.Release = rel
	if res.WebURL == "" {
		if res.WebURL, err = d.WebURL(ctx); err != nil {
			return res, err
		}
	}
	res.Endpoint = serverenv.EndpointURL(res.WebURL, opts.Project.Server.Path)
	if p.lateURL {
		// A new app's URL is known only now: its tokens are bound to it.
		if err := d.SetConfig(ctx, map[string]string{serverenv.VarResourceURL: res.Endpoint}); err != nil {
			return res, err
		}
		res.ConfigChanged = append(res.ConfigChanged, serverenv.VarResourceURL)
		if res.Release, err = d.AwaitRelease(ctx); err != nil {
			return res, err
		}
		rel = res.Release
	}
	kind, notes := d.Instances(ctx)
	res.InstanceType = kind
	for _, n := range notes {
		progress(Event{Phase: PhaseVerify, Message: n})
	}
	if opts.Verify == nil {
		progress(Event{Phase: PhaseVerify, Done: true, Message: "skipped"})
		return res, nil
	}
	if err := d.AwaitInstances(ctx); err != nil {
		return res, err
	}
	verr := opts.Verify(ctx, res.Endpoint)
	if verr == nil {
		res.Verified = true
		progress(Event{Phase: PhaseVerify, Done: true, Message: res.Endpoint})
		return res, nil
	}
	return res, p.rollback(ctx, prev, rel, verr)
}

// rollback returns the app to prev after release rel failed verification with verr,
// and returns the deploy's error.
func (p *deploy) rollback(ctx context.Context, prev, rel Release, verr error) error {
	d, man := p.d, p.man
	if logs, err := d.Logs(ctx, man.LogLines); err == nil && strings.TrimSpace(logs) != "" {
		fmt.Fprintf(p.out, "\nLast log lines of %s:\n%s\n", p.target.App, logs)
	}
	if p.opts.NoRollback || prev.IsZero() || prev == rel {
		why := "--no-rollback was given"
		if prev.IsZero() || prev == rel {
			why = "there is no earlier " + man.Release + " to return to"
		}
		return &Error{Step: PhaseVerify, Err: fmt.Errorf("%s %s does not work: %w (not rolled back: %s)", man.Release, rel, verr, why),
			Fix: "fix the problem, commit, and run `mcpctl deploy " + d.Name() + "` again; logs: " + man.Logs}
	}
	p.progress(Event{Phase: PhaseRollback, Message: fmt.Sprintf("rolling back to %s", prev)})
	if err := d.Rollback(ctx, prev); err != nil {
		return &Error{Step: PhaseRollback, Err: fmt.Errorf("%s %s does not work (%v), and the rollback failed: %w", man.Release, rel, verr, err),
			Fix: "roll back by hand: " + d.PlanRollback(prev)}
	}
	p.res.RolledBackTo = prev
	p.progress(Event{Phase: PhaseRollback, Done: true})
	return &Error{Step: PhaseVerify, Err: fmt.Errorf("%s %s does not work, so %s %s: %w", man.Release, rel, man.RolledBack, prev, verr),
		Fix: "fix the problem (try it with `mcpctl dev` and `mcpctl check`), commit, and deploy again"}
}

// configChanges returns what must change of the app's environment, current, for it to
// be what the project wants, and reports what happens to keys .env does not hold.
func (p *deploy) configChanges(current map[string]string) map[string]string {
	opts := p.opts
	want := DesiredConfig(opts.Project, opts.Env)
	if _, ok := want[keys.HashesEnvVar]; ok {
		m := keys.MergeHashes(current[keys.HashesEnvVar], opts.Env, nil, opts.DropUnknownKeys)
		want[keys.HashesEnvVar] = m.Value
		if keys.SameHashes(current[keys.HashesEnvVar], m.Value) {
			want[keys.HashesEnvVar] = current[keys.HashesEnvVar] // same keys: no release for a reordering
		}
		if n := len(m.Unknown); n > 0 && m.Dropped {
			p.progress(Event{Phase: PhaseConfig, Message: fmt.Sprintf("warning: removing %d key(s) no key in .env matches (--drop-unknown-keys): whoever uses them is locked out", n)})
		} else if n > 0 {
			p.progress(Event{Phase: PhaseConfig, Message: fmt.Sprintf("kept %d key(s) the %s accepts that .env does not hold (--drop-unknown-keys removes them)", n, p.man.App)})
		}
	}
	p.resourceURL(want)
	changes := ConfigChanges(current, want)
	p.res.ConfigChanged = slices.Sorted(maps.Keys(changes))
	return changes
}

// planPush finishes a dry run's plan: the push (with the config changes, where they go
// together), a late MCP_RESOURCE_URL, the verification.
func (p *deploy) planPush(pusher ConfigPusher, withPush bool, changes map[string]string) {
	if withPush {
		p.plan(pusher.PlanPushConfig(p.repo, changes)...)
	} else {
		p.plan(p.d.PlanPush(p.repo))
	}
	path := p.opts.Project.Server.Path
	if p.lateURL {
		p.plan(p.d.PlanConfig(map[string]string{serverenv.VarResourceURL: "<" + p.man.URL + ">" + path}))
	}
	if p.opts.Verify != nil {
		p.plan("mcpctl check <" + p.man.URL + ">" + path)
	}
}

// resourceURL binds an OAuth server's tokens to its public URL: unless mcpctl.toml
// names one, the app's own endpoint (never the local URL in .env).
func (p *deploy) resourceURL(want map[string]string) {
	srv := p.opts.Project.Server
	if srv.Auth != config.AuthOAuth || srv.OAuth.ResourceURL != "" {
		return
	}
	_, creates := p.d.(Creator)
	switch {
	case p.res.WebURL != "":
		want[serverenv.VarResourceURL] = serverenv.EndpointURL(p.res.WebURL, srv.Path)
	case creates:
		want[serverenv.VarResourceURL] = "<" + p.man.URL + " of " + p.res.App + ">" + srv.Path // dry run of a new app
	default:
		p.lateURL = true
	}
}

// checkWorkTree finds the project's repository and refuses to deploy uncommitted work
// in the project folder unless told to commit it. A commit the deploy will make (the
// work with --yes, the app name in mcpctl.toml) needs a git identity: that is checked
// here, before anything changes.
func (p *deploy) checkWorkTree(ctx context.Context, record bool, need func(error) error) ([]string, error) {
	deploys := p.man.Title + " deploys what is committed"
	repo, err := gitrepo.Find(ctx, p.opts.Exec, p.opts.Dir)
	switch {
	case errors.Is(err, gitrepo.ErrNotRepo):
		return nil, &Error{Step: PhasePreflight, Err: errors.New("the project is not in a git repository"),
			Fix: "run `git init && git add --all && git commit -m \"First commit\"` (.gitignore keeps .env out); " + deploys}
	case err != nil:
		return nil, &Error{Step: PhasePreflight, Err: err, Fix: "run `git status` in the project to see what is wrong with the repository"}
	}
	p.repo = repo
	if !repo.HasCommit() {
		return nil, &Error{Step: PhasePreflight, Err: fmt.Errorf("%s has no commit yet", repo.Describe()),
			Fix: "run `git add --all && git commit -m \"First commit\"` (.gitignore keeps .env out); " + deploys}
	}
	changes, err := repo.Changes(ctx)
	if err != nil {
		return nil, &Error{Step: PhasePreflight, Err: err}
	}
	if len(changes) > 0 && !p.opts.Yes {
		fix := "commit them (git add --all && git commit)"
		if !repo.IsRoot() {
			fix = "commit them (git add --all . && git commit -- .)"
		}
		return nil, &Error{Step: PhasePreflight, Err: fmt.Errorf("uncommitted changes would not be deployed:\n%s", strings.Join(changes, "\n")),
			Fix: fix + ", or run with --yes to let mcpctl commit the project folder's changes"}
	}
	if len(changes) > 0 || record {
		if err := repo.CheckIdentity(ctx); err != nil {
			why := "mcpctl commits the app name it records in " + config.FileName
			if len(changes) > 0 {
				why = "--yes commits the uncommitted changes"
			}
			if err := need(&Error{Step: PhasePreflight, Err: err, Fix: why + ", and git needs to know who you are: set user.name and user.email as git says above"}); err != nil {
				return nil, err
			}
		}
	}
	return changes, nil
}

// commitWork commits, with --yes, the uncommitted changes checkWorkTree found: only the
// project folder's, never an .env. A dry run plans the commit instead.
func (p *deploy) commitWork(ctx context.Context, changes []string) error {
	repo := p.repo
	if len(changes) == 0 || repo == nil {
		return nil
	}
	where := ""
	if !repo.IsRoot() {
		where = " (only the project folder: " + repo.Describe() + ")"
	}
	if p.opts.DryRun {
		p.plan(fmt.Sprintf("git add --all -- . && git commit -m \"Deploy with mcpctl\" -- .%s", where))
		return nil
	}
	p.progress(Event{Phase: PhasePreflight, Message: fmt.Sprintf("committing %d uncommitted changes (--yes) in %s", len(changes), repo.Describe())})
	if err := repo.StageAll(ctx); err != nil {
		return &Error{Step: PhasePreflight, Err: err}
	}
	staged, err := repo.Staged(ctx)
	if err != nil {
		return &Error{Step: PhasePreflight, Err: err}
	}
	for _, f := range staged {
		if f == ".env" || strings.HasPrefix(f, ".env.") && f != ".env.example" {
			_ = repo.Unstage(ctx, f)
			return &Error{Step: PhasePreflight, Err: fmt.Errorf("%s would be committed", f), Fix: "add it to .gitignore; it holds secrets"}
		}
	}
	if err := repo.Commit(ctx, "Deploy with mcpctl", "."); err != nil {
		return &Error{Step: PhasePreflight, Err: err}
	}
	return nil
}

// recordTarget writes the target's settings into mcpctl.toml and commits that one file,
// so the next deploy, keys and connect find the app, the deploy starts from a clean
// tree, and the deployed tree says which app it belongs to.
func (p *deploy) recordTarget(ctx context.Context, settings []Setting) error {
	t, man := p.target, p.man
	var kv []string
	for _, s := range settings {
		kv = append(kv, fmt.Sprintf("%s = %q", s.Key, s.Value))
	}
	what := "[" + t.Table + "] " + strings.Join(kv, ", ")
	subject := fmt.Sprintf("Record %s %s %s in %s", man.Title, man.App, t.App, config.FileName)
	if p.opts.DryRun {
		p.plan(fmt.Sprintf("record %s in %s and commit it: git commit -m %q -- %s", what, config.FileName, subject, config.FileName))
		return nil
	}
	if p.opts.Record == nil {
		return nil
	}
	if err := p.opts.Record(t.Table, settings); err != nil {
		return err
	}
	if p.repo == nil {
		return nil
	}
	msg := fmt.Sprintf("%s\n\nmcpctl deploy %s records the %s it deploys to, so that the next deploy,\nkeys and connect find it; committed so that a redeploy starts from a clean tree.", subject, p.d.Name(), man.App)
	if err := p.repo.Commit(ctx, msg, config.FileName); err != nil {
		return &Error{Step: PhaseApp, Err: err,
			Fix: "commit " + config.FileName + " yourself (git commit -m \"" + subject + "\" -- " + config.FileName + "), then deploy again"}
	}
	p.progress(Event{Phase: PhaseApp, Message: fmt.Sprintf("recorded %s in %s and committed it in %s", what, config.FileName, p.repo.Describe())})
	return nil
}

// planOffline finishes a dry run that cannot reach the platform: the app is unknown, so
// every setting is shown as one that would be set, then the push; missing is the error.
func (p *deploy) planOffline(record bool, missing error) (*DeployResult, error) {
	if record {
		_ = p.recordTarget(context.Background(), p.d.Records(p.target))
	}
	changes := p.configChanges(map[string]string{})
	pusher, withPush := p.d.(ConfigPusher)
	if len(changes) > 0 && !withPush {
		p.plan(p.d.PlanConfig(changes) + "  (only the values that differ from the " + p.man.App + "'s)")
	}
	p.planPush(pusher, withPush, changes)
	if missing == nil {
		return p.res, nil
	}
	return p.res, &Error{Step: PhasePreflight, Err: fmt.Errorf("dry run incomplete: %w", missing), Fix: HintOf(missing)}
}

// HintOf is the next step an error suggests, "" when it suggests none.
func HintOf(err error) string {
	var h interface{ Hint() string }
	if errors.As(err, &h) {
		return h.Hint()
	}
	return ""
}
