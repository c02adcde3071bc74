package heroku

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/deployers"
	"github.com/mcpctl/mcpctl/gitrepo"
	"github.com/mcpctl/mcpctl/keys"
)

// Phase names, in order. Progress events carry them.
const (
	PhasePreflight = "preflight"
	PhaseApp       = "app"
	PhaseConfig    = "config"
	PhasePush      = "push"
	PhaseVerify    = "verify"
	PhaseRollback  = "rollback"
)

// Event and VerifyFunc are the deploy pipeline's, shared by every platform.
type (
	Event      = deployers.Event
	VerifyFunc = deployers.VerifyFunc
)

// DeployOptions says what to deploy and how.
type DeployOptions struct {
	Project *config.File
	// Env is the project's .env; it supplies the keys whose hashes the app gets.
	Env map[string]string
	// App overrides [deploy.heroku] app; Region is used when the app is created.
	App    string
	Region string

	DryRun     bool // print what would change, change nothing
	Yes        bool // commit uncommitted work instead of refusing
	NoRollback bool // keep a release that failed verification
	// DropUnknownKeys removes key hashes the app accepts that no key in Env matches;
	// by default they are kept (a teammate's, CI's, another clone's key).
	DropUnknownKeys bool

	// Preflight runs the project's own checks (mcpctl doctor) before anything changes.
	Preflight func(context.Context) error
	// Verify checks the deployed endpoint; nil skips verification.
	Verify VerifyFunc
	// RecordApp stores a newly chosen app name in mcpctl.toml.
	RecordApp func(app string) error
	// CheckRecord reports, before anything changes, that RecordApp would fail.
	CheckRecord func(app string) error

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

// DesiredConfig is the environment the app must have: see deployers.DesiredConfig.
func DesiredConfig(project *config.File, env map[string]string) map[string]string {
	return deployers.DesiredConfig(project, env)
}

// ConfigChanges returns the variables whose value must change (an empty value unsets).
func ConfigChanges(current, want map[string]string) map[string]string {
	return deployers.ConfigChanges(current, want)
}

// Deploy ships the project in c.Dir to Heroku and verifies it. See DeployOptions.
func (c *Client) Deploy(ctx context.Context, opts DeployOptions) (*DeployResult, error) {
	progress := opts.Progress
	if progress == nil {
		progress = func(Event) {}
	}
	out := opts.Output
	if out == nil {
		out = io.Discard
	}
	res := &DeployResult{DryRun: opts.DryRun}
	plan := func(cmd string) { res.Planned = append(res.Planned, cmd) }
	if c.Waiting == nil {
		var mu sync.Mutex
		phase := PhasePreflight
		inner := progress
		progress = func(e Event) {
			mu.Lock()
			phase = e.Phase
			mu.Unlock()
			inner(e)
		}
		c.Waiting = func(call string, elapsed time.Duration) {
			mu.Lock()
			p := phase
			mu.Unlock()
			inner(Event{Phase: p, Message: fmt.Sprintf("waiting for %s (%s)", call, elapsed)})
		}
		defer func() { c.Waiting = nil }()
	}

	// 1. Preflight: nothing changes until everything that can be checked has been.
	// A dry run goes on without the heroku CLI, a login or a git identity, to show what
	// it can; the first missing prerequisite is then its error, after the plan.
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
	offline := c.CheckInstalled()
	if offline == nil {
		_, offline = c.WhoAmI(ctx)
	}
	if err := need(offline); err != nil {
		return res, err
	}
	c.AppName = firstNonEmpty(opts.App, opts.Project.Deploy.Heroku.App, opts.Project.Project.Name)
	if err := config.CheckName(c.AppName); err != nil {
		return res, &Error{Step: PhaseApp, Err: err, hint: "give a valid app name with --app"}
	}
	res.App = c.AppName
	record := c.AppName != opts.Project.Deploy.Heroku.App
	if record && !opts.DryRun && opts.CheckRecord != nil {
		// Nothing is created on the platform that the project could not then record.
		if err := opts.CheckRecord(c.AppName); err != nil {
			return res, &Error{Step: PhasePreflight, Err: err, hint: "fix " + config.FileName + " so the app name can be recorded in it, then deploy again; nothing was created"}
		}
	}
	work, err := c.checkWorkTree(ctx, opts, record, need)
	if err != nil {
		return res, err
	}
	if opts.Project.Server.Auth == config.AuthAPIKey && len(keys.InEnv(opts.Env)) == 0 {
		return res, &Error{Step: PhasePreflight, Err: errors.New("auth is apikey but .env holds no key (MCP_API_KEY)"),
			hint: "create one with `mcpctl keys new`"}
	}
	if opts.Preflight != nil {
		if err := opts.Preflight(ctx); err != nil {
			return res, err
		}
	}
	// The checks ran on the files as they are; only now, with --yes, are they committed.
	if err := c.commitWork(ctx, work, opts.DryRun, plan, progress); err != nil {
		return res, err
	}
	progress(Event{Phase: PhasePreflight, Done: true})

	// 2. App: find or create it; at the root of a repository, point the heroku remote at it.
	progress(Event{Phase: PhaseApp})
	region := firstNonEmpty(opts.Region, opts.Project.Deploy.Heroku.Region, config.DefaultRegion)
	if offline != nil {
		plan(fmt.Sprintf("heroku apps:info -a %s --json  (when it does not exist: heroku apps:create %s --region %s --json)", c.AppName, c.AppName, region))
		return c.planOffline(opts, res, record, plan, missing)
	}
	app, dynos, err := c.Info(ctx)
	switch {
	case errors.Is(err, ErrAppNotFound):
		if opts.DryRun {
			plan(fmt.Sprintf("heroku apps:create %s --region %s --json", c.AppName, region))
			res.Created = true
			break
		}
		progress(Event{Phase: PhaseApp, Message: "creating app " + c.AppName + " in region " + region})
		if app, err = c.Create(ctx, region); err != nil {
			return res, err
		}
		res.Created = true
	case err != nil:
		return res, err
	}
	if app != nil {
		res.WebURL = app.WebURL
		c.gitURL = app.GitURL
	}
	if !opts.Project.Server.Stateless && countWeb(dynos) > 1 {
		return res, &Error{Step: PhaseApp, Err: fmt.Errorf("%s runs %d web dynos but mcpctl.toml has stateless = false", c.AppName, countWeb(dynos)),
			hint: "sessions live in one process, so requests to other dynos fail with \"session not found\": set stateless = true, or `heroku ps:scale web=1 -a " + c.AppName + "`"}
	}
	// A project in a folder of a larger repository pushes to the app's git URL: no
	// remote is added to a repository that holds more than the project.
	if c.repo == nil || c.repo.IsRoot() {
		if opts.DryRun {
			plan("heroku git:remote -a " + c.AppName)
		} else if err := c.SetGitRemote(ctx); err != nil {
			return res, err
		}
	}
	if record {
		if err := c.recordApp(ctx, opts, plan, progress); err != nil {
			return res, err
		}
	}
	progress(Event{Phase: PhaseApp, Done: true, Message: c.AppName})

	// 3. Config: only what changed, in one release.
	progress(Event{Phase: PhaseConfig})
	current := map[string]string{}
	if !res.Created {
		if current, err = c.Config(ctx); err != nil {
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
	// An OAuth server's tokens are bound to its public URL; unless mcpctl.toml names it,
	// that is the app's own endpoint (never the local URL in .env).
	if opts.Project.Server.Auth == config.AuthOAuth && opts.Project.Server.OAuth.ResourceURL == "" {
		if res.WebURL != "" {
			want["MCP_RESOURCE_URL"] = endpointURL(res.WebURL, opts.Project.Server.Path)
		} else {
			want["MCP_RESOURCE_URL"] = "<web url of " + c.AppName + ">" + opts.Project.Server.Path // dry run of a new app
		}
	}
	changes := ConfigChanges(current, want)
	res.ConfigChanged = slices.Sorted(maps.Keys(changes))
	if _, ok := current[keys.EnvVar]; ok {
		progress(Event{Phase: PhaseConfig, Message: "warning: the app holds a plaintext MCP_API_KEY; unset it with `heroku config:unset MCP_API_KEY -a " + c.AppName + "` (mcpctl sets only hashes)"})
	}
	if len(changes) > 0 {
		if opts.DryRun {
			plan(configPlan(changes, c.AppName))
		} else if err := c.SetConfig(ctx, changes); err != nil {
			return res, err
		}
	}
	progress(Event{Phase: PhaseConfig, Done: true, Message: fmt.Sprintf("%d changed", len(changes))})

	if opts.DryRun {
		plan(c.pushPlan())
		if opts.Verify != nil {
			plan("mcpctl check <web url>" + opts.Project.Server.Path)
		}
		return res, nil
	}

	// 4. Push: the build runs on Heroku; its output streams through.
	before, err := c.Releases(ctx)
	if err != nil {
		return res, err
	}
	progress(Event{Phase: PhasePush})
	if err := c.Push(ctx, out); err != nil {
		return res, err
	}
	progress(Event{Phase: PhasePush, Done: true})

	// 5. Verify with a real MCP client; roll back when it fails.
	progress(Event{Phase: PhaseVerify})
	rel, err := c.waitForRelease(ctx)
	if err != nil {
		return res, err
	}
	res.Release = rel.Version
	if res.WebURL == "" {
		if res.WebURL, err = c.WebURL(ctx); err != nil {
			return res, err
		}
	}
	res.Endpoint = endpointURL(res.WebURL, opts.Project.Server.Path)
	c.reportDynos(ctx, res, progress)
	if opts.Verify == nil {
		progress(Event{Phase: PhaseVerify, Done: true, Message: "skipped"})
		return res, nil
	}
	if err := c.WaitForDynos(ctx); err != nil {
		return res, err
	}
	verr := opts.Verify(ctx, res.Endpoint)
	if verr == nil {
		res.Verified = true
		progress(Event{Phase: PhaseVerify, Done: true, Message: res.Endpoint})
		return res, nil
	}

	if logs, err := c.Logs(ctx, 200); err == nil && logs != "" {
		fmt.Fprintf(out, "\nLast log lines of %s:\n%s\n", c.AppName, logs)
	}
	prev := previousGood(before)
	if opts.NoRollback || prev == 0 {
		why := "--no-rollback was given"
		if prev == 0 {
			why = "there is no earlier release to return to"
		}
		return res, &Error{Step: PhaseVerify, Err: fmt.Errorf("release v%d does not work: %w (not rolled back: %s)", rel.Version, verr, why),
			hint: "fix the problem, commit, and run `mcpctl deploy heroku` again; logs: heroku logs --tail -a " + c.AppName}
	}
	progress(Event{Phase: PhaseRollback, Message: fmt.Sprintf("rolling back to v%d", prev)})
	if err := c.Rollback(ctx, prev); err != nil {
		return res, &Error{Step: PhaseRollback, Err: fmt.Errorf("release v%d does not work (%v), and the rollback failed: %w", rel.Version, verr, err),
			hint: "roll back by hand: heroku releases:rollback -a " + c.AppName}
	}
	res.RolledBackTo = prev
	progress(Event{Phase: PhaseRollback, Done: true})
	return res, &Error{Step: PhaseVerify, Err: fmt.Errorf("release v%d does not work, so the app was rolled back to v%d: %w", rel.Version, prev, verr),
		hint: "fix the problem (try it with `mcpctl dev` and `mcpctl check`), commit, and deploy again"}
}

// checkWorkTree finds the project's repository and refuses to deploy uncommitted work
// in the project folder unless told to commit it. A commit the deploy will make (the
// work with --yes, the app name in mcpctl.toml) needs a git identity: that is checked
// here, before anything changes.
func (c *Client) checkWorkTree(ctx context.Context, opts DeployOptions, record bool, need func(error) error) ([]string, error) {
	repo, err := gitrepo.Find(ctx, c.Exec, c.Dir)
	switch {
	case errors.Is(err, gitrepo.ErrNotRepo):
		return nil, &Error{Step: PhasePreflight, Err: errors.New("the project is not in a git repository"),
			hint: "run `git init && git add --all && git commit -m \"First commit\"` (.gitignore keeps .env out); Heroku deploys what is committed"}
	case err != nil:
		return nil, &Error{Step: PhasePreflight, Err: err, hint: "run `git status` in the project to see what is wrong with the repository"}
	}
	c.repo = repo
	if !repo.HasCommit() {
		return nil, &Error{Step: PhasePreflight, Err: fmt.Errorf("%s has no commit yet", repo.Describe()),
			hint: "run `git add --all && git commit -m \"First commit\"` (.gitignore keeps .env out); Heroku deploys what is committed"}
	}
	changes, err := repo.Changes(ctx)
	if err != nil {
		return nil, &Error{Step: PhasePreflight, Err: err}
	}
	if len(changes) > 0 && !opts.Yes {
		fix := "commit them (git add --all && git commit)"
		if !repo.IsRoot() {
			fix = "commit them (git add --all . && git commit -- .)"
		}
		return nil, &Error{Step: PhasePreflight, Err: fmt.Errorf("uncommitted changes would not be deployed:\n%s", strings.Join(changes, "\n")),
			hint: fix + ", or run with --yes to let mcpctl commit the project folder's changes"}
	}
	if len(changes) > 0 || record {
		if err := repo.CheckIdentity(ctx); err != nil {
			why := "mcpctl commits the app name it records in " + config.FileName
			if len(changes) > 0 {
				why = "--yes commits the uncommitted changes"
			}
			if err := need(&Error{Step: PhasePreflight, Err: err, hint: why + ", and git needs to know who you are: set user.name and user.email as git says above"}); err != nil {
				return nil, err
			}
		}
	}
	return changes, nil
}

// commitWork commits, with --yes, the uncommitted changes checkWorkTree found: only the
// project folder's, never an .env.
func (c *Client) commitWork(ctx context.Context, changes []string, dryRun bool, plan func(string), progress func(Event)) error {
	repo := c.repo
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
			return &Error{Step: PhasePreflight, Err: fmt.Errorf("%s would be committed", f), hint: "add it to .gitignore; it holds secrets"}
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
func (c *Client) recordApp(ctx context.Context, opts DeployOptions, plan func(string), progress func(Event)) error {
	msg := fmt.Sprintf("Record Heroku app %s in %s\n\nmcpctl deploy heroku records the app it deploys to, so that the next deploy\nfinds it; committed so that a redeploy starts from a clean tree.", c.AppName, config.FileName)
	if opts.DryRun {
		plan(fmt.Sprintf("record app = %q in %s and commit it: git commit -m \"Record Heroku app %s in %s\" -- %s", c.AppName, config.FileName, c.AppName, config.FileName, config.FileName))
		return nil
	}
	if opts.RecordApp == nil {
		return nil
	}
	if err := opts.RecordApp(c.AppName); err != nil {
		return err
	}
	if c.repo == nil {
		return nil
	}
	progress(Event{Phase: PhaseApp, Message: fmt.Sprintf("recorded app = %q in %s and committed it in %s", c.AppName, config.FileName, c.repo.Describe())})
	if err := c.repo.Commit(ctx, msg, config.FileName); err != nil {
		return &Error{Step: PhaseApp, Err: err,
			hint: "commit " + config.FileName + " yourself (git commit -m \"Record Heroku app\" -- " + config.FileName + "), then deploy again"}
	}
	return nil
}

// planOffline finishes a dry run that cannot reach Heroku: the app is unknown, so every
// setting is shown as one that would be set, then the push; missing is the error.
func (c *Client) planOffline(opts DeployOptions, res *DeployResult, record bool, plan func(string), missing error) (*DeployResult, error) {
	if record {
		_ = c.recordApp(context.Background(), opts, plan, func(Event) {})
	}
	want := DesiredConfig(opts.Project, opts.Env)
	if opts.Project.Server.Auth == config.AuthOAuth && opts.Project.Server.OAuth.ResourceURL == "" {
		want["MCP_RESOURCE_URL"] = "<web url of " + c.AppName + ">" + opts.Project.Server.Path
	}
	changes := ConfigChanges(map[string]string{}, want)
	res.ConfigChanged = slices.Sorted(maps.Keys(changes))
	if len(changes) > 0 {
		plan(configPlan(changes, c.AppName) + "  (only the values that differ from the app's)")
	}
	plan(c.pushPlan())
	if opts.Verify != nil {
		plan("mcpctl check <web url>" + opts.Project.Server.Path)
	}
	return res, &Error{Step: PhasePreflight, Err: fmt.Errorf("dry run incomplete: %w", missing), hint: hintOf(missing)}
}

// configPlan renders a config change as the command that makes it. The values are
// settings and key hashes, never a plaintext key.
func configPlan(changes map[string]string, app string) string {
	var set, unset []string
	for _, k := range slices.Sorted(maps.Keys(changes)) {
		if changes[k] == "" {
			unset = append(unset, k)
		} else {
			set = append(set, k+"="+changes[k])
		}
	}
	var cmds []string
	if len(set) > 0 {
		cmds = append(cmds, fmt.Sprintf("heroku config:set %s -a %s", strings.Join(set, " "), app))
	}
	if len(unset) > 0 {
		cmds = append(cmds, fmt.Sprintf("heroku config:unset %s -a %s", strings.Join(unset, " "), app))
	}
	return strings.Join(cmds, " && ")
}

// pushPlan says what the push would run.
func (c *Client) pushPlan() string {
	if c.repo == nil || c.repo.IsRoot() {
		return "git push " + Remote + " HEAD:main"
	}
	return fmt.Sprintf("git push %s $(git subtree split --prefix=%s HEAD):refs/heads/main  (only %s; no remote added)", c.appGitURL(), c.repo.Prefix, c.repo.Describe())
}

func hintOf(err error) string {
	var h interface{ Hint() string }
	if errors.As(err, &h) {
		return h.Hint()
	}
	return ""
}

// waitForRelease waits (bounded) for the newest release to leave "pending".
func (c *Client) waitForRelease(ctx context.Context) (Release, error) {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		rels, err := c.Releases(ctx)
		if err != nil {
			return Release{}, err
		}
		if len(rels) == 0 {
			return Release{}, &Error{Step: PhaseVerify, Err: errors.New("heroku reports no release after the push")}
		}
		switch rels[0].Status {
		case "succeeded", "":
			return rels[0], nil
		case "failed":
			return rels[0], &Error{Step: PhaseVerify, Err: fmt.Errorf("release v%d failed: %s", rels[0].Version, rels[0].Description),
				hint: "see `heroku releases:output -a " + c.AppName + "`"}
		}
		if time.Now().After(deadline) {
			return rels[0], &Error{Step: PhaseVerify, Err: fmt.Errorf("release v%d is still %s after 2 minutes", rels[0].Version, rels[0].Status)}
		}
		select {
		case <-ctx.Done():
			return Release{}, ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

// previousGood is the newest succeeded release before the push that runs code (a new
// app's first releases only hold config), 0 when there is none. Rolling back to it
// restores that release's code and config vars together.
func previousGood(before []Release) int {
	for _, r := range before {
		if (r.Status == "succeeded" || r.Status == "") && r.Slug != nil {
			return r.Version
		}
	}
	return 0
}

func countWeb(dynos []Dyno) int {
	n := 0
	for _, d := range dynos {
		if d.Type == "web" {
			n++
		}
	}
	return n
}

func endpointURL(webURL, path string) string {
	u, err := url.Parse(webURL)
	if err != nil {
		return strings.TrimRight(webURL, "/") + path
	}
	u.Path = strings.TrimRight(u.Path, "/") + path
	return u.String()
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
