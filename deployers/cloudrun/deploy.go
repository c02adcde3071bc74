package cloudrun

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/deployers"
	"github.com/mcpctl/mcpctl/gitrepo"
	"github.com/mcpctl/mcpctl/keys"
	"github.com/mcpctl/mcpctl/serverenv"
)

// Deploy defaults. One warm instance answers a hosted client's first request within its
// ~10 s window (a cold start may not); the request timeout is Cloud Run's maximum, so a
// long tool call is not cut.
const (
	DefaultMinInstances   = 1
	DefaultRequestTimeout = 60 * time.Minute
)

// DeployOptions says what to deploy and how.
type DeployOptions struct {
	Project *config.File
	// Env is the project's .env; it supplies the keys whose hashes the service gets.
	Env map[string]string
	// Service, Region and GCPProject override [deploy.cloudrun]; gcloud's configured
	// project is used when neither names one.
	Service, Region, GCPProject string

	MinInstances int
	// MaxInstances caps autoscaling; 0 leaves it as it is. A stateful project always
	// gets 1: its sessions live in one process.
	MaxInstances int
	// Timeout is the request timeout (Cloud Run allows up to 60 minutes).
	Timeout time.Duration

	DryRun          bool // print what would change, change nothing
	Yes             bool // commit uncommitted work instead of refusing
	NoRollback      bool // keep a revision that failed verification
	DropUnknownKeys bool // remove key hashes no key in Env matches

	// Preflight runs the project's own checks (mcpctl doctor) before anything changes.
	Preflight func(context.Context) error
	// Verify checks the deployed endpoint; nil skips verification.
	Verify deployers.VerifyFunc
	// Record stores the service, region and project in mcpctl.toml; CheckRecord reports,
	// before anything changes, that Record would fail.
	Record      func(config.CloudRun) error
	CheckRecord func(config.CloudRun) error

	// Output receives gcloud's progress, the build output and a failed revision's logs.
	Output   io.Writer
	Progress func(deployers.Event)
}

// DeployResult is what a deploy did.
type DeployResult struct {
	Service       string   `json:"service"`
	Region        string   `json:"region"`
	Project       string   `json:"project"`
	Created       bool     `json:"created"`
	URL           string   `json:"url"`
	Endpoint      string   `json:"endpoint"`
	ConfigChanged []string `json:"config_changed"`
	Revision      string   `json:"revision,omitempty"`
	MinInstances  int      `json:"min_instances"`
	MaxInstances  int      `json:"max_instances,omitempty"`
	TimeoutSec    int      `json:"timeout_seconds"`
	Verified      bool     `json:"verified"`
	RolledBackTo  string   `json:"rolled_back_to,omitempty"`
	DryRun        bool     `json:"dry_run"`
	// Planned lists the commands a dry run would have run.
	Planned []string `json:"planned,omitempty"`
}

// Deploy ships the project in c.Dir to Cloud Run and verifies it: preflight → service →
// config → push (build and revision) → verify → rollback. c.Service, c.Region and
// c.Project are set from opts and mcpctl.toml.
func (c *Client) Deploy(ctx context.Context, opts DeployOptions) (*DeployResult, error) {
	progress := opts.Progress
	if progress == nil {
		progress = func(deployers.Event) {}
	}
	out := opts.Output
	if out == nil {
		out = io.Discard
	}
	res := &DeployResult{DryRun: opts.DryRun, MinInstances: opts.MinInstances, TimeoutSec: int(cmp.Or(opts.Timeout, DefaultRequestTimeout) / time.Second)}
	plan := func(cmd string) { res.Planned = append(res.Planned, cmd) }
	rec := opts.Project.Deploy.CloudRun

	// 1. Preflight: nothing changes until everything that can be checked has been. A dry
	// run goes on without gcloud or a login to show what it can; the first missing
	// prerequisite is then its error, after the plan.
	progress(deployers.Event{Phase: deployers.PhasePreflight})
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
		_, offline = c.Account(ctx)
	}
	if err := need(offline); err != nil {
		return res, err
	}
	c.Service = cmp.Or(opts.Service, rec.Service, opts.Project.Project.Name)
	if err := config.CheckService(c.Service); err != nil {
		return res, &Error{Step: deployers.PhasePreflight, Err: err, Fix: "give a valid service name with --service"}
	}
	c.Region = cmp.Or(opts.Region, rec.Region)
	if c.Region == "" {
		if err := need(&Error{Step: deployers.PhasePreflight, Err: errors.New("no region: mcpctl.toml records none and --region was not given"),
			Fix: "pass --region, such as --region us-central1 or --region europe-west1 (gcloud run regions list shows them); it is recorded for the next deploy"}); err != nil {
			return res, err
		}
		c.Region = "<region>"
	}
	c.Project = cmp.Or(opts.GCPProject, rec.Project)
	if c.Project == "" && offline == nil {
		p, err := c.ConfiguredProject(ctx)
		if err != nil {
			return res, err
		}
		c.Project = p
	}
	if c.Project == "" {
		if err := need(&Error{Step: deployers.PhasePreflight, Err: ErrNoProject, Fix: "pass --project PROJECT_ID, or run `gcloud config set project PROJECT_ID`; it is recorded for the next deploy"}); err != nil {
			return res, err
		}
		c.Project = "<project>"
	}
	res.Service, res.Region, res.Project = c.Service, c.Region, c.Project
	want := config.CloudRun{Service: c.Service, Region: c.Region, Project: c.Project}
	record := want != rec && !strings.HasPrefix(c.Region, "<") && !strings.HasPrefix(c.Project, "<")
	if record && !opts.DryRun && opts.CheckRecord != nil {
		if err := opts.CheckRecord(want); err != nil {
			return res, &Error{Step: deployers.PhasePreflight, Err: err, Fix: "fix " + config.FileName + " so the service can be recorded in it, then deploy again; nothing was created"}
		}
	}
	if !opts.Project.Server.Stateless && opts.MaxInstances > 1 {
		return res, &Error{Step: deployers.PhasePreflight, Err: fmt.Errorf("--max-instances %d, but mcpctl.toml has stateless = false", opts.MaxInstances), Fix: StatefulHint}
	}
	maxInstances := opts.MaxInstances
	if !opts.Project.Server.Stateless {
		maxInstances = 1
	}
	res.MaxInstances = maxInstances
	repo, work, err := c.checkWorkTree(ctx, opts, record, need)
	if err != nil {
		return res, err
	}
	if opts.Project.Server.Auth == config.AuthAPIKey && len(keys.InEnv(opts.Env)) == 0 {
		return res, &Error{Step: deployers.PhasePreflight, Err: errors.New("auth is apikey but .env holds no key (MCP_API_KEY)"), Fix: "create one with `mcpctl keys new`"}
	}
	if opts.Preflight != nil {
		if err := opts.Preflight(ctx); err != nil {
			return res, err
		}
	}
	if err := deployers.CommitWork(ctx, repo, work, opts.DryRun, plan, progress); err != nil {
		return res, err
	}
	progress(deployers.Event{Phase: deployers.PhasePreflight, Done: true})

	// 2. Service: find it (a new one is made by the deploy itself), record it.
	progress(deployers.Event{Phase: deployers.PhaseApp})
	var svc *Service
	if offline == nil && missing == nil {
		svc, err = c.Describe(ctx)
		switch {
		case errors.Is(err, ErrServiceNotFound):
			res.Created = true
		case err != nil:
			return res, err
		}
	} else {
		plan(fmt.Sprintf("gcloud run services describe %s --region=%s --project=%s --format=json", c.Service, c.Region, c.Project))
	}
	if svc != nil {
		res.URL = svc.URL
	}
	if record {
		if err := c.record(ctx, opts, repo, want, plan, progress); err != nil {
			return res, err
		}
	}
	progress(deployers.Event{Phase: deployers.PhaseApp, Done: true, Message: c.Service + " in " + c.where()})

	// 3. Config: only what changed, in the deploy's own revision.
	progress(deployers.Event{Phase: deployers.PhaseConfig})
	current := map[string]string{}
	if svc != nil {
		current = svc.Env
	}
	desired := deployers.DesiredConfig(opts.Project, opts.Env)
	if _, ok := desired[keys.HashesEnvVar]; ok {
		m := keys.MergeHashes(current[keys.HashesEnvVar], opts.Env, nil, opts.DropUnknownKeys)
		desired[keys.HashesEnvVar] = m.Value
		if keys.SameHashes(current[keys.HashesEnvVar], m.Value) {
			desired[keys.HashesEnvVar] = current[keys.HashesEnvVar]
		}
		if n := len(m.Unknown); n > 0 && m.Dropped {
			progress(deployers.Event{Phase: deployers.PhaseConfig, Message: fmt.Sprintf("warning: removing %d key(s) no key in .env matches (--drop-unknown-keys): whoever uses them is locked out", n)})
		} else if n > 0 {
			progress(deployers.Event{Phase: deployers.PhaseConfig, Message: fmt.Sprintf("kept %d key(s) the service accepts that .env does not hold (--drop-unknown-keys removes them)", n)})
		}
	}
	oauthURL := opts.Project.Server.Auth == config.AuthOAuth && opts.Project.Server.OAuth.ResourceURL == ""
	if oauthURL && res.URL != "" {
		desired["MCP_RESOURCE_URL"] = serverenv.EndpointURL(res.URL, opts.Project.Server.Path)
	}
	if _, ok := current[keys.EnvVar]; ok {
		progress(deployers.Event{Phase: deployers.PhaseConfig, Message: "warning: the service holds a plaintext MCP_API_KEY; remove it with `gcloud run services update " + c.Service + " --remove-env-vars=MCP_API_KEY` (mcpctl sets only hashes)"})
	}
	changes := deployers.ConfigChanges(current, desired)
	res.ConfigChanged = slices.Sorted(maps.Keys(changes))
	progress(deployers.Event{Phase: deployers.PhaseConfig, Done: true, Message: fmt.Sprintf("%d changed", len(changes))})

	spec := SourceDeploy{Buildable: "./cmd/" + opts.Project.Project.Name, Env: changes, MinInstances: opts.MinInstances, MaxInstances: maxInstances, Timeout: cmp.Or(opts.Timeout, DefaultRequestTimeout)}
	if opts.DryRun {
		plan(c.commandLine(c.DeployArgs(spec)))
		if svc != nil && !svc.OnLatest && svc.Serving != "" {
			plan(c.commandLine([]string{"run", "services", "update-traffic", c.Service, "--to-latest", "--quiet"}) + "  (traffic is pinned to " + svc.Serving + ")")
		}
		if oauthURL && res.URL == "" {
			plan(c.commandLine([]string{"run", "services", "update", c.Service, "--update-env-vars=MCP_RESOURCE_URL=<service url>" + opts.Project.Server.Path, "--quiet"}))
		}
		if opts.Verify != nil {
			plan("mcpctl check <service url>" + opts.Project.Server.Path)
		}
		if missing != nil {
			return res, &Error{Step: deployers.PhasePreflight, Err: fmt.Errorf("dry run incomplete: %w", missing), Fix: deployers.HintOf(missing)}
		}
		return res, nil
	}

	// 4. Push: Google's buildpacks build the source on Cloud Build, then a revision.
	progress(deployers.Event{Phase: deployers.PhasePush})
	prev := ""
	if svc != nil {
		prev = cmp.Or(svc.Serving, svc.LatestReady)
	}
	if err := c.DeploySource(ctx, spec, out); err != nil {
		// A revision that built but did not start: its own output says why.
		if strings.Contains(err.Error(), "not ready") {
			if logs, lerr := c.Logs(ctx, 50); lerr == nil && strings.TrimSpace(logs) != "" {
				fmt.Fprintf(out, "\nLast log lines of %s:\n%s\n", c.Service, logs)
			}
		}
		var e *Error
		if errors.As(err, &e) {
			e.Fix = cmp.Or(e.Fix, "read the build output above; fix the build locally with `go build ./...`, commit, and deploy again; traffic stays on the revision that served it")
		}
		return res, err
	}
	after, err := c.Describe(ctx)
	if err != nil {
		return res, err
	}
	if !after.OnLatest && after.Serving != "" {
		// A rollback pinned traffic; a deploy means the new revision should serve.
		progress(deployers.Event{Phase: deployers.PhasePush, Message: "traffic was pinned to " + after.Serving + "; routing it to the new revision"})
		if err := c.RouteToLatest(ctx); err != nil {
			return res, err
		}
	}
	res.URL = after.URL
	res.Endpoint = serverenv.EndpointURL(res.URL, opts.Project.Server.Path)
	if oauthURL && current["MCP_RESOURCE_URL"] != res.Endpoint && desired["MCP_RESOURCE_URL"] == "" {
		// A new service's URL is known only now: tokens are bound to it.
		if err := c.SetConfig(ctx, map[string]string{"MCP_RESOURCE_URL": res.Endpoint}); err != nil {
			return res, err
		}
		res.ConfigChanged = append(res.ConfigChanged, "MCP_RESOURCE_URL")
		if after, err = c.Describe(ctx); err != nil {
			return res, err
		}
	}
	res.Revision = after.LatestReady
	progress(deployers.Event{Phase: deployers.PhasePush, Done: true, Message: res.Revision})

	// 5. Verify with a real MCP client; route traffic back when it fails.
	progress(deployers.Event{Phase: deployers.PhaseVerify})
	if opts.Verify == nil {
		progress(deployers.Event{Phase: deployers.PhaseVerify, Done: true, Message: "skipped"})
		return res, nil
	}
	verr := opts.Verify(ctx, res.Endpoint)
	if verr == nil {
		res.Verified = true
		progress(deployers.Event{Phase: deployers.PhaseVerify, Done: true, Message: res.Endpoint})
		return res, nil
	}
	if logs, err := c.Logs(ctx, 50); err == nil && strings.TrimSpace(logs) != "" {
		fmt.Fprintf(out, "\nLast log lines of %s:\n%s\n", c.Service, logs)
	}
	if opts.NoRollback || prev == "" || prev == res.Revision {
		why := "--no-rollback was given"
		if prev == "" || prev == res.Revision {
			why = "there is no earlier revision to return to"
		}
		return res, &Error{Step: deployers.PhaseVerify, Err: fmt.Errorf("revision %s does not work: %w (not rolled back: %s)", res.Revision, verr, why),
			Fix: "fix the problem, commit, and run `mcpctl deploy cloudrun` again; logs: gcloud run services logs read " + c.Service + " --region=" + c.Region}
	}
	progress(deployers.Event{Phase: deployers.PhaseRollback, Message: "routing all traffic back to " + prev})
	if err := c.RouteTo(ctx, prev); err != nil {
		return res, &Error{Step: deployers.PhaseRollback, Err: fmt.Errorf("revision %s does not work (%v), and routing traffic back failed: %w", res.Revision, verr, err),
			Fix: "roll back by hand: gcloud run services update-traffic " + c.Service + " --to-revisions=" + prev + "=100 --region=" + c.Region}
	}
	res.RolledBackTo = prev
	progress(deployers.Event{Phase: deployers.PhaseRollback, Done: true})
	return res, &Error{Step: deployers.PhaseVerify, Err: fmt.Errorf("revision %s does not work, so all traffic went back to %s: %w", res.Revision, prev, verr),
		Fix: "fix the problem (try it with `mcpctl dev` and `mcpctl check`), commit, and deploy again; the next deploy routes traffic to the new revision"}
}

// StatefulHint is why a stateful server runs on one instance, and the fix.
const StatefulHint = "sessions live in one process, so requests that reach another instance fail with \"session not found\", and MCP clients keep no cookies, so session affinity cannot save them: set stateless = true in mcpctl.toml (the default), or keep one instance"

// commandLine renders gcloud args with the client's region and project, for plans.
func (c *Client) commandLine(args []string) string {
	return "gcloud " + strings.Join(args, " ") + " --region=" + c.Region + " --project=" + c.Project
}

// checkWorkTree refuses to deploy uncommitted work unless told to commit it: the deploy
// uploads the folder, and what is deployed should be what is committed. It returns the
// changes --yes will commit.
func (c *Client) checkWorkTree(ctx context.Context, opts DeployOptions, record bool, need func(error) error) (*gitrepo.Repo, []string, error) {
	repo, err := gitrepo.Find(ctx, c.Exec, c.Dir)
	switch {
	case errors.Is(err, gitrepo.ErrNotRepo):
		return nil, nil, &Error{Step: deployers.PhasePreflight, Err: errors.New("the project is not in a git repository"),
			Fix: "run `git init && git add --all && git commit -m \"First commit\"` (.gitignore keeps .env out, and gcloud uploads only what git does not ignore)"}
	case err != nil:
		return nil, nil, &Error{Step: deployers.PhasePreflight, Err: err, Fix: "run `git status` in the project to see what is wrong with the repository"}
	}
	if !repo.HasCommit() {
		return nil, nil, &Error{Step: deployers.PhasePreflight, Err: fmt.Errorf("%s has no commit yet", repo.Describe()),
			Fix: "run `git add --all && git commit -m \"First commit\"` (.gitignore keeps .env out)"}
	}
	changes, err := repo.Changes(ctx)
	if err != nil {
		return nil, nil, &Error{Step: deployers.PhasePreflight, Err: err}
	}
	if len(changes) > 0 && !opts.Yes {
		return nil, nil, &Error{Step: deployers.PhasePreflight, Err: fmt.Errorf("uncommitted changes:\n%s", strings.Join(changes, "\n")),
			Fix: "commit them (git add --all . && git commit), or run with --yes to let mcpctl commit the project folder's changes"}
	}
	if len(changes) > 0 || record {
		if err := repo.CheckIdentity(ctx); err != nil {
			if err := need(&Error{Step: deployers.PhasePreflight, Err: err, Fix: "mcpctl commits what it records in " + config.FileName + " (and, with --yes, your changes), and git needs to know who you are: set user.name and user.email as git says above"}); err != nil {
				return nil, nil, err
			}
		}
	}
	return repo, changes, nil
}

// record writes [deploy.cloudrun] into mcpctl.toml and commits that one file, so the
// next deploy, keys, connect and check find the service, and the tree stays clean.
func (c *Client) record(ctx context.Context, opts DeployOptions, repo *gitrepo.Repo, want config.CloudRun, plan func(string), progress func(deployers.Event)) error {
	what := fmt.Sprintf("service = %q, region = %q, project = %q", want.Service, want.Region, want.Project)
	if opts.DryRun {
		plan(fmt.Sprintf("record [deploy.cloudrun] %s in %s and commit it: git commit -m \"Record Cloud Run service %s in %s\" -- %s", what, config.FileName, want.Service, config.FileName, config.FileName))
		return nil
	}
	if opts.Record == nil {
		return nil
	}
	if err := opts.Record(want); err != nil {
		return err
	}
	if repo == nil {
		return nil
	}
	msg := fmt.Sprintf("Record Cloud Run service %s in %s\n\nmcpctl deploy cloudrun records the service it deploys to, so that the next deploy,\nkeys and connect find it; committed so that a redeploy starts from a clean tree.", want.Service, config.FileName)
	if err := repo.Commit(ctx, msg, config.FileName); err != nil {
		return &Error{Step: deployers.PhaseApp, Err: err,
			Fix: "commit " + config.FileName + " yourself (git commit -m \"Record Cloud Run service\" -- " + config.FileName + "), then deploy again"}
	}
	progress(deployers.Event{Phase: deployers.PhaseApp, Message: fmt.Sprintf("recorded [deploy.cloudrun] %s in %s and committed it", what, config.FileName)})
	return nil
}
