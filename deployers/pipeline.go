package deployers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

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
// shows, and when to stop or roll back.
type Deployer interface {
	Platform
	// Manual names the platform and its commands in the messages a user reads.
	Manual() Manual
	// SetApp chooses the app the following calls act on.
	SetApp(name string)
	// SetWaiting reports calls that take a while (nil: silent).
	SetWaiting(func(call string, elapsed time.Duration))

	// CheckAccess reports whether the platform's CLI is installed and logged in.
	CheckAccess(ctx context.Context) error
	// Lookup returns the app, nil when it does not exist.
	Lookup(ctx context.Context) (*App, error)
	// Create makes the app in region.
	Create(ctx context.Context, region string) (*App, error)
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

	// The commands a dry run shows for each step.
	PlanLookup(region string) string
	PlanCreate(region string) string
	PlanAttach(repo *gitrepo.Repo) string // "" when Attach does nothing
	PlanConfig(changes map[string]string) string
	PlanPush(repo *gitrepo.Repo) string
}

// Manual is how messages name a platform and its commands.
type Manual struct {
	Title         string // "Heroku"
	DefaultRegion string // where a new app goes unless told
	Logs          string // the command that follows the app's logs
	Rollback      string // the command that rolls the app back by hand
}

// App is what the pipeline needs of a platform's app.
type App struct {
	Name   string
	WebURL string // "" when not known yet
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
	// App overrides the app mcpctl.toml records; Region is used when the app is created.
	App    string
	Region string

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
	// RecordApp stores a newly chosen app name in mcpctl.toml.
	RecordApp func(app string) error
	// CheckRecord reports, before anything changes, that RecordApp would fail.
	CheckRecord func(app string) error
	// Exec runs git; the platform runs its own CLI.
	Exec executor.Executor

	// Output receives the build output of the push and the logs of a failed release.
	Output   io.Writer
	Progress func(Event)
}

// DeployResult is what a deploy did.
type DeployResult struct {
	App           string   `json:"app"`
	Created       bool     `json:"created"`
	WebURL        string   `json:"web_url"`
	Endpoint      string   `json:"endpoint"`
	ConfigChanged []string `json:"config_changed"`
	Release       int      `json:"release,omitempty"`
	Verified      bool     `json:"verified"`
	// DynoType is the size of the web dynos deployed to (Eco, Basic, …); empty when
	// unknown.
	DynoType     string `json:"dyno_type,omitempty"`
	RolledBackTo int    `json:"rolled_back_to,omitempty"`
	DryRun       bool   `json:"dry_run"`
	// Planned lists the commands a dry run would have run.
	Planned []string `json:"planned,omitempty"`
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
	repo     *gitrepo.Repo
	progress func(Event)
	out      io.Writer
}

func (p *deploy) plan(cmd string) { p.res.Planned = append(p.res.Planned, cmd) }

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
	// A call that takes a while is reported within the phase that runs it.
	var mu sync.Mutex
	phase := PhasePreflight
	inner := p.progress
	p.progress = func(e Event) {
		mu.Lock()
		phase = e.Phase
		mu.Unlock()
		inner(e)
	}
	d.SetWaiting(func(call string, elapsed time.Duration) {
		mu.Lock()
		ph := phase
		mu.Unlock()
		inner(Event{Phase: ph, Message: fmt.Sprintf("waiting for %s (%s)", call, elapsed)})
	})
	defer d.SetWaiting(nil)
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
	name := AppName(opts.Project, d.Name(), opts.App)
	if err := config.CheckName(name); err != nil {
		return res, &Error{Step: PhaseApp, Err: err, Fix: "give a valid app name with --app"}
	}
	d.SetApp(name)
	res.App = name
	record := name != recorded.App
	if record && !opts.DryRun && opts.CheckRecord != nil {
		// Nothing is created on the platform that the project could not then record.
		if err := opts.CheckRecord(name); err != nil {
			return res, &Error{Step: PhasePreflight, Err: err, Fix: "fix " + config.FileName + " so the app name can be recorded in it, then deploy again; nothing was created"}
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
	region := cmp.Or(opts.Region, recorded.Region, p.man.DefaultRegion)
	if offline != nil {
		p.plan(d.PlanLookup(region))
		return p.planOffline(record, missing)
	}
	app, err := d.Lookup(ctx)
	if err != nil {
		return res, err
	}
	if app == nil {
		if opts.DryRun {
			p.plan(d.PlanCreate(region))
		} else {
			progress(Event{Phase: PhaseApp, Message: "creating app " + name + " in region " + region})
			if app, err = d.Create(ctx, region); err != nil {
				return res, err
			}
		}
		res.Created = true
	} else if err := d.CheckApp(app, opts.Project); err != nil {
		return res, err
	}
	if app != nil {
		res.WebURL = app.WebURL
	}
	if opts.DryRun {
		if cmd := d.PlanAttach(p.repo); cmd != "" {
			p.plan(cmd)
		}
	} else if err := d.Attach(ctx, p.repo); err != nil {
		return res, err
	}
	if record {
		if err := p.recordApp(ctx); err != nil {
			return res, err
		}
	}
	progress(Event{Phase: PhaseApp, Done: true, Message: name})

	// 3. Config: only what changed, in one release.
	progress(Event{Phase: PhaseConfig})
	current := map[string]string{}
	if !res.Created {
		if current, err = d.Config(ctx); err != nil {
			return res, err
		}
	}
	want := DesiredConfig(opts.Project, opts.Env)
	if _, ok := want[keys.HashesEnvVar]; ok {
		m := keys.MergeHashes(current[keys.HashesEnvVar], opts.Env, nil, opts.DropUnknownKeys)
		want[keys.HashesEnvVar] = m.Value
		if keys.SameHashes(current[keys.HashesEnvVar], m.Value) {
			want[keys.HashesEnvVar] = current[keys.HashesEnvVar] // same keys: no release for a reordering
		}
		if n := len(m.Unknown); n > 0 && m.Dropped {
			progress(Event{Phase: PhaseConfig, Message: fmt.Sprintf("warning: removing %d key(s) no key in .env matches (--drop-unknown-keys): whoever uses them is locked out", n)})
		} else if n > 0 {
			progress(Event{Phase: PhaseConfig, Message: fmt.Sprintf("kept %d key(s) the app accepts that .env does not hold (--drop-unknown-keys removes them)", n)})
		}
	}
	p.resourceURL(want)
	changes := ConfigChanges(current, want)
	res.ConfigChanged = slices.Sorted(maps.Keys(changes))
	if _, ok := current[keys.EnvVar]; ok {
		progress(Event{Phase: PhaseConfig, Message: "warning: the app holds a plaintext MCP_API_KEY; unset it with `" + d.PlanConfig(map[string]string{keys.EnvVar: ""}) + "` (mcpctl sets only hashes)"})
	}
	if len(changes) > 0 {
		if opts.DryRun {
			p.plan(d.PlanConfig(changes))
		} else if err := d.SetConfig(ctx, changes); err != nil {
			return res, err
		}
	}
	progress(Event{Phase: PhaseConfig, Done: true, Message: fmt.Sprintf("%d changed", len(changes))})

	if opts.DryRun {
		p.plan(d.PlanPush(p.repo))
		if opts.Verify != nil {
			p.plan("mcpctl check <web url>" + opts.Project.Server.Path)
		}
		return res, nil
	}

	// 4. Push: the build runs on the platform; its output streams through.
	prev, err := d.LastGood(ctx)
	if err != nil {
		return res, err
	}
	progress(Event{Phase: PhasePush})
	if err := d.Push(ctx, p.repo, p.out); err != nil {
		return res, err
	}
	progress(Event{Phase: PhasePush, Done: true})

	// 5. Verify with a real MCP client; roll back when it fails.
	progress(Event{Phase: PhaseVerify})
	rel, err := d.AwaitRelease(ctx)
	if err != nil {
		return res, err
	}
	res.Release = rel.Version
	if res.WebURL == "" {
		if res.WebURL, err = d.WebURL(ctx); err != nil {
			return res, err
		}
	}
	res.Endpoint = serverenv.EndpointURL(res.WebURL, opts.Project.Server.Path)
	kind, notes := d.Instances(ctx)
	res.DynoType = kind
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

	if logs, err := d.Logs(ctx, 200); err == nil && logs != "" {
		fmt.Fprintf(p.out, "\nLast log lines of %s:\n%s\n", name, logs)
	}
	if opts.NoRollback || prev.IsZero() {
		why := "--no-rollback was given"
		if prev.IsZero() {
			why = "there is no earlier release to return to"
		}
		return res, &Error{Step: PhaseVerify, Err: fmt.Errorf("release %s does not work: %w (not rolled back: %s)", rel, verr, why),
			Fix: "fix the problem, commit, and run `mcpctl deploy " + d.Name() + "` again; logs: " + p.man.Logs}
	}
	progress(Event{Phase: PhaseRollback, Message: fmt.Sprintf("rolling back to %s", prev)})
	if err := d.Rollback(ctx, prev); err != nil {
		return res, &Error{Step: PhaseRollback, Err: fmt.Errorf("release %s does not work (%v), and the rollback failed: %w", rel, verr, err),
			Fix: "roll back by hand: " + p.man.Rollback}
	}
	res.RolledBackTo = prev.Version
	progress(Event{Phase: PhaseRollback, Done: true})
	return res, &Error{Step: PhaseVerify, Err: fmt.Errorf("release %s does not work, so the app was rolled back to %s: %w", rel, prev, verr),
		Fix: "fix the problem (try it with `mcpctl dev` and `mcpctl check`), commit, and deploy again"}
}

// resourceURL binds an OAuth server's tokens to its public URL: unless mcpctl.toml
// names one, the app's own endpoint (never the local URL in .env).
func (p *deploy) resourceURL(want map[string]string) {
	srv := p.opts.Project.Server
	if srv.Auth != config.AuthOAuth || srv.OAuth.ResourceURL != "" {
		return
	}
	if p.res.WebURL != "" {
		want[serverenv.VarResourceURL] = serverenv.EndpointURL(p.res.WebURL, srv.Path)
	} else {
		want[serverenv.VarResourceURL] = "<web url of " + p.res.App + ">" + srv.Path // dry run of a new app
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

// commitWork commits, with --yes, the uncommitted changes checkWorkTree found.
func (p *deploy) commitWork(ctx context.Context, changes []string) error {
	return CommitWork(ctx, p.repo, changes, p.opts.DryRun, p.plan, p.progress)
}

// CommitWork commits, with --yes, the uncommitted changes a deploy's preflight found:
// only the project folder's, never an .env. A dry run plans the commit instead.
func CommitWork(ctx context.Context, repo *gitrepo.Repo, changes []string, dryRun bool, plan func(string), progress func(Event)) error {
	if len(changes) == 0 || repo == nil {
		return nil
	}
	where := ""
	if !repo.IsRoot() {
		where = " (only the project folder: " + repo.Describe() + ")"
	}
	if dryRun {
		plan(fmt.Sprintf("git add --all -- . && git commit -m \"Deploy with mcpctl\" -- .%s", where))
		return nil
	}
	progress(Event{Phase: PhasePreflight, Message: fmt.Sprintf("committing %d uncommitted changes (--yes) in %s", len(changes), repo.Describe())})
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

// recordApp writes the app name into mcpctl.toml and commits that one file, so the next
// deploy finds the app and starts from a clean tree, and the deployed tree says which
// app it belongs to.
func (p *deploy) recordApp(ctx context.Context) error {
	app, title := p.res.App, p.man.Title
	msg := fmt.Sprintf("Record %s app %s in %s\n\nmcpctl deploy %s records the app it deploys to, so that the next deploy\nfinds it; committed so that a redeploy starts from a clean tree.", title, app, config.FileName, p.d.Name())
	if p.opts.DryRun {
		p.plan(fmt.Sprintf("record app = %q in %s and commit it: git commit -m \"Record %s app %s in %s\" -- %s", app, config.FileName, title, app, config.FileName, config.FileName))
		return nil
	}
	if p.opts.RecordApp == nil {
		return nil
	}
	if err := p.opts.RecordApp(app); err != nil {
		return err
	}
	if p.repo == nil {
		return nil
	}
	p.progress(Event{Phase: PhaseApp, Message: fmt.Sprintf("recorded app = %q in %s and committed it in %s", app, config.FileName, p.repo.Describe())})
	if err := p.repo.Commit(ctx, msg, config.FileName); err != nil {
		return &Error{Step: PhaseApp, Err: err,
			Fix: "commit " + config.FileName + " yourself (git commit -m \"Record " + title + " app\" -- " + config.FileName + "), then deploy again"}
	}
	return nil
}

// planOffline finishes a dry run that cannot reach the platform: the app is unknown, so
// every setting is shown as one that would be set, then the push; missing is the error.
func (p *deploy) planOffline(record bool, missing error) (*DeployResult, error) {
	if record {
		_ = p.recordApp(context.Background())
	}
	want := DesiredConfig(p.opts.Project, p.opts.Env)
	p.resourceURL(want)
	changes := ConfigChanges(map[string]string{}, want)
	p.res.ConfigChanged = slices.Sorted(maps.Keys(changes))
	if len(changes) > 0 {
		p.plan(p.d.PlanConfig(changes) + "  (only the values that differ from the app's)")
	}
	p.plan(p.d.PlanPush(p.repo))
	if p.opts.Verify != nil {
		p.plan("mcpctl check <web url>" + p.opts.Project.Server.Path)
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
