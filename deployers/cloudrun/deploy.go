package cloudrun

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/deployers"
	"github.com/mcpctl/mcpctl/gitrepo"
)

// Deploy defaults. One warm instance answers a hosted client's first request within its
// ~10 s window (a cold start may not); the request timeout is Cloud Run's maximum, so a
// long tool call is not cut.
const (
	DefaultMinInstances   = 1
	DefaultRequestTimeout = 60 * time.Minute
)

// The deploy pipeline lives in deployers; these are Cloud Run's steps of it. The first
// `gcloud run deploy` makes the service (no Creator), and it sets the env vars with the
// code, in one revision (a ConfigPusher).
var (
	_ deployers.Deployer     = (*Client)(nil)
	_ deployers.ConfigPusher = (*Client)(nil)
)

// StatefulHint is why a stateful server runs on one instance, and the fix.
const StatefulHint = "sessions live in one process, so requests that reach another instance fail with \"session not found\", and MCP clients keep no cookies, so session affinity cannot save them: set stateless = true in mcpctl.toml (the default), or keep one instance"

// Manual names Cloud Run and its commands in messages.
func (c *Client) Manual() deployers.Manual {
	return deployers.Manual{
		Title:      "Cloud Run",
		App:        "service",
		URL:        "service url",
		Release:    "revision",
		RolledBack: "all traffic went back to",
		Logs:       c.commandLine([]string{"run", "services", "logs", "read", c.Service}),
		LogLines:   50,
	}
}

// Resolve checks the service's name, needs a region (Cloud Run has no default one) and
// a project (else gcloud's), and settles the instances: a stateful project is refused on
// several and capped at one.
func (c *Client) Resolve(ctx context.Context, project *config.File, t *deployers.Target, online bool, need func(error) error) error {
	if err := config.CheckService(t.App); err != nil {
		return &deployers.Error{Step: deployers.PhasePreflight, Err: err, Fix: "give a valid service name with --service"}
	}
	if t.Region == "" {
		if err := need(&deployers.Error{Step: deployers.PhasePreflight, Err: errors.New("no region: mcpctl.toml records none and --region was not given"),
			Fix: "pass --region, such as --region us-central1 or --region europe-west1 (gcloud run regions list shows them); it is recorded for the next deploy"}); err != nil {
			return err
		}
		t.Region = "<region>"
	}
	if t.Project == "" && online {
		p, err := c.ConfiguredProject(ctx)
		if err != nil {
			return err
		}
		t.Project = p
	}
	if t.Project == "" {
		if err := need(&deployers.Error{Step: deployers.PhasePreflight, Err: ErrNoProject, Fix: "pass --project PROJECT_ID, or run `gcloud config set project PROJECT_ID`; it is recorded for the next deploy"}); err != nil {
			return err
		}
		t.Project = "<project>"
	}
	if !project.Server.Stateless && c.MaxInstances > 1 {
		return &deployers.Error{Step: deployers.PhasePreflight, Err: fmt.Errorf("--max-instances %d, but mcpctl.toml has stateless = false", c.MaxInstances), Fix: StatefulHint}
	}
	c.maxInstances = c.MaxInstances
	if !project.Server.Stateless {
		c.maxInstances = 1
	}
	c.buildable = "./cmd/" + project.Project.Name
	return nil
}

// Records is what [deploy.cloudrun] keeps: service, region and project.
func (c *Client) Records(t deployers.Target) []deployers.Setting {
	if t.Region == "" || t.Project == "" || strings.HasPrefix(t.Region, "<") || strings.HasPrefix(t.Project, "<") {
		return nil
	}
	return []deployers.Setting{{Key: "service", Value: t.App}, {Key: "region", Value: t.Region}, {Key: "project", Value: t.Project}}
}

// SetTarget chooses the service.
func (c *Client) SetTarget(t deployers.Target) {
	c.Service, c.Region, c.Project = t.App, t.Region, t.Project
}

// SetProgress sets where the client reports what it does beyond the steps.
func (c *Client) SetProgress(f func(string)) { c.progress = f }

func (c *Client) report(msg string) {
	if c.progress != nil {
		c.progress(msg)
	}
}

// CheckAccess reports whether gcloud is installed with an active account.
func (c *Client) CheckAccess(ctx context.Context) error {
	if err := c.CheckInstalled(); err != nil {
		return err
	}
	_, err := c.Account(ctx)
	return err
}

// Lookup describes the service (nil when there is none yet) and remembers it for the
// revision to return to and the traffic to route.
func (c *Client) Lookup(ctx context.Context) (*deployers.App, error) {
	s, err := c.Describe(ctx)
	if errors.Is(err, ErrServiceNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c.svc = s
	return &deployers.App{Name: c.Service, WebURL: s.URL, Config: s.Env}, nil
}

// CheckApp accepts any service: Resolve has settled its instances.
func (c *Client) CheckApp(*deployers.App, *config.File) error { return nil }

// Attach does nothing: gcloud uploads the project folder.
func (c *Client) Attach(context.Context, *gitrepo.Repo) error { return nil }

// PlanAttach is "": Attach does nothing.
func (c *Client) PlanAttach(*gitrepo.Repo) string { return "" }

// LastGood is the revision that served before the deploy.
func (c *Client) LastGood(context.Context) (deployers.Release, error) {
	if c.svc == nil {
		return deployers.Release{}, nil
	}
	return deployers.Release{ID: cmp.Or(c.svc.Serving, c.svc.LatestReady)}, nil
}

// spec is the source deploy of the project with env changes.
func (c *Client) spec(changes map[string]string) SourceDeploy {
	return SourceDeploy{Buildable: c.buildable, Env: changes, MinInstances: c.MinInstances, MaxInstances: c.maxInstances,
		Timeout: cmp.Or(c.RequestTimeout, DefaultRequestTimeout)}
}

// Push deploys the project with no env change.
func (c *Client) Push(ctx context.Context, repo *gitrepo.Repo, out io.Writer) error {
	return c.PushConfig(ctx, repo, nil, out)
}

// PushConfig builds the project folder with Google's buildpacks and makes a revision
// with the env changes. Traffic pinned by a rollback is routed to it: a deploy means the
// new revision should serve.
func (c *Client) PushConfig(ctx context.Context, _ *gitrepo.Repo, changes map[string]string, out io.Writer) error {
	if err := c.DeploySource(ctx, c.spec(changes), out); err != nil {
		// A revision that built but did not start: its own output says why.
		if strings.Contains(err.Error(), "not ready") {
			if logs, lerr := c.Logs(ctx, 50); lerr == nil && strings.TrimSpace(logs) != "" {
				fmt.Fprintf(out, "\nLast log lines of %s:\n%s\n", c.Service, logs)
			}
		}
		var e *deployers.Error
		if errors.As(err, &e) {
			e.Fix = cmp.Or(e.Fix, "read the build output above; fix the build locally with `go build ./...`, commit, and deploy again; traffic stays on the revision that served it")
		}
		return err
	}
	after, err := c.Describe(ctx)
	if err != nil {
		return err
	}
	if !after.OnLatest && after.Serving != "" {
		c.report("traffic was pinned to " + after.Serving + "; routing it to the new revision")
		return c.RouteToLatest(ctx)
	}
	return nil
}

// AwaitRelease returns the latest ready revision: gcloud run deploy has waited for it.
func (c *Client) AwaitRelease(ctx context.Context) (deployers.Release, error) {
	s, err := c.Describe(ctx)
	if err != nil {
		return deployers.Release{}, err
	}
	return deployers.Release{ID: s.LatestReady}, nil
}

// AwaitInstances does nothing: a ready revision serves.
func (c *Client) AwaitInstances(context.Context) error { return nil }

// Instances says nothing: the summary shows the instance settings.
func (c *Client) Instances(context.Context) (string, []string) { return "", nil }

// Rollback sends all traffic to revision r.
func (c *Client) Rollback(ctx context.Context, r deployers.Release) error {
	return c.RouteTo(ctx, r.ID)
}

// PlanLookup is the command that describes the service.
func (c *Client) PlanLookup(string) string {
	return c.commandLine([]string{"run", "services", "describe", c.Service, "--format=json"})
}

// PlanConfig is the command that changes env vars in a new revision.
func (c *Client) PlanConfig(changes map[string]string) string {
	return c.commandLine(append(append([]string{"run", "services", "update", c.Service}, EnvFlags(changes)...), "--quiet"))
}

// PlanPush is the deploy with no env change.
func (c *Client) PlanPush(repo *gitrepo.Repo) string { return c.PlanPushConfig(repo, nil)[0] }

// PlanPushConfig is the deploy with the env changes, and the routing of pinned traffic.
func (c *Client) PlanPushConfig(_ *gitrepo.Repo, changes map[string]string) []string {
	cmds := []string{c.commandLine(c.DeployArgs(c.spec(changes)))}
	if s := c.svc; s != nil && !s.OnLatest && s.Serving != "" {
		cmds = append(cmds, c.commandLine([]string{"run", "services", "update-traffic", c.Service, "--to-latest", "--quiet"})+"  (traffic is pinned to "+s.Serving+")")
	}
	return cmds
}

// PlanRollback is the command that sends all traffic to revision r.
func (c *Client) PlanRollback(r deployers.Release) string {
	return c.commandLine([]string{"run", "services", "update-traffic", c.Service, "--to-revisions=" + r.ID + "=100"})
}

// commandLine renders gcloud args with the client's region and project, for plans.
func (c *Client) commandLine(args []string) string {
	return "gcloud " + strings.Join(args, " ") + " --region=" + c.Region + " --project=" + c.Project
}

// cloudRunResult is what deploy cloudrun --json prints.
type cloudRunResult struct {
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
	Planned       []string `json:"planned,omitempty"`
}

// Report presents a deploy's result: revisions by name, where the service runs, what
// its instances cost.
func (c *Client) Report(res *deployers.DeployResult) deployers.Report {
	instances := "scale to zero; a cold start may miss a hosted client's first-request window"
	if c.MinInstances > 0 {
		instances = fmt.Sprintf("at least %d kept warm, billed while idle (--min-instances 0 to scale to zero)", c.MinInstances)
	}
	return deployers.Report{
		JSON: cloudRunResult{Service: res.App, Region: res.Region, Project: res.Project, Created: res.Created, URL: res.WebURL, Endpoint: res.Endpoint,
			ConfigChanged: res.ConfigChanged, Revision: res.Release.ID, MinInstances: c.MinInstances, MaxInstances: c.maxInstances,
			TimeoutSec: int(cmp.Or(c.RequestTimeout, DefaultRequestTimeout) / time.Second), Verified: res.Verified, RolledBackTo: res.RolledBackTo.ID,
			DryRun: res.DryRun, Planned: res.Planned},
		Headline: fmt.Sprintf("Deployed %s (revision %s) in %s, project %s", res.App, res.Release.ID, res.Region, res.Project),
		Details: [][2]string{
			{"Ingress", "public (--allow-unauthenticated); the server checks its own key or token"},
			{"Instances", instances},
		},
	}
}
