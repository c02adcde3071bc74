package heroku

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/deployers"
	"github.com/mcpctl/mcpctl/gitrepo"
)

// The deploy pipeline lives in deployers; these are Heroku's steps of it.
var (
	_ deployers.Deployer = (*Client)(nil)
	_ deployers.Creator  = (*Client)(nil)
)

// Manual names Heroku and its commands in messages.
func (c *Client) Manual() deployers.Manual {
	return deployers.Manual{
		Title:      "Heroku",
		App:        "app",
		URL:        "web url",
		Release:    "release",
		RolledBack: "the app was rolled back to",
		Logs:       "heroku logs --tail -a " + c.AppName,
		LogLines:   200,
	}
}

// Resolve checks the app's name; a new app goes to the default region unless told.
func (c *Client) Resolve(_ context.Context, _ *config.File, t *deployers.Target, _ bool, _ func(error) error) error {
	if err := config.CheckName(t.App); err != nil {
		return &deployers.Error{Step: deployers.PhaseApp, Err: err, Fix: "give a valid app name with --app"}
	}
	t.Region = cmp.Or(t.Region, config.DefaultRegion)
	return nil
}

// Records is what [deploy.heroku] keeps: the app.
func (c *Client) Records(t deployers.Target) []deployers.Setting {
	return []deployers.Setting{{Key: "app", Value: t.App}}
}

// SetTarget chooses the app.
func (c *Client) SetTarget(t deployers.Target) { c.AppName = t.App }

// SetProgress reports the calls that take a while.
func (c *Client) SetProgress(f func(string)) {
	c.Waiting = nil
	if f != nil {
		c.Waiting = func(call string, elapsed time.Duration) { f(fmt.Sprintf("waiting for %s (%s)", call, elapsed)) }
	}
}

// CheckAccess reports whether the heroku CLI is installed and logged in.
func (c *Client) CheckAccess(ctx context.Context) error {
	if err := c.CheckInstalled(); err != nil {
		return err
	}
	_, err := c.WhoAmI(ctx)
	return err
}

// Lookup returns the app, nil when it does not exist; it remembers the app's dynos and
// git URL for CheckApp and Push.
func (c *Client) Lookup(ctx context.Context) (*deployers.App, error) {
	app, dynos, err := c.Info(ctx)
	if errors.Is(err, ErrAppNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c.gitURL, c.dynos = app.GitURL, dynos
	return &deployers.App{Name: app.Name, WebURL: app.WebURL}, nil
}

// CheckApp refuses a project that keeps sessions on an app that runs several web dynos.
func (c *Client) CheckApp(_ *deployers.App, project *config.File) error {
	if n := countWeb(c.dynos); !project.Server.Stateless && n > 1 {
		return &deployers.Error{Step: deployers.PhaseApp, Err: fmt.Errorf("%s runs %d web dynos but mcpctl.toml has stateless = false", c.AppName, n),
			Fix: "sessions live in one process, so requests to other dynos fail with \"session not found\": set stateless = true, or `heroku ps:scale web=1 -a " + c.AppName + "`"}
	}
	return nil
}

// Attach points the heroku git remote at the app when the project is the root of its
// repository: no remote is added to a repository that holds more than the project.
func (c *Client) Attach(ctx context.Context, repo *gitrepo.Repo) error {
	if repo != nil && !repo.IsRoot() {
		return nil
	}
	return c.SetGitRemote(ctx)
}

// LastGood is the newest succeeded release that runs code (a new app's first releases
// only hold config), zero when there is none. Rolling back to it restores that
// release's code and config vars together.
func (c *Client) LastGood(ctx context.Context) (deployers.Release, error) {
	rels, err := c.Releases(ctx)
	if err != nil {
		return deployers.Release{}, err
	}
	return deployers.Release{Version: previousGood(rels)}, nil
}

// AwaitRelease waits (bounded) for the newest release to leave "pending".
func (c *Client) AwaitRelease(ctx context.Context) (deployers.Release, error) {
	rel, err := c.waitForRelease(ctx)
	return deployers.Release{Version: rel.Version}, err
}

// AwaitInstances waits until every dyno runs the latest release.
func (c *Client) AwaitInstances(ctx context.Context) error { return c.WaitForDynos(ctx) }

// PlanLookup is what a dry run that cannot reach Heroku would look up.
func (c *Client) PlanLookup(region string) string {
	return fmt.Sprintf("heroku apps:info -a %s --json  (when it does not exist: heroku apps:create %s --region %s --json)", c.AppName, c.AppName, region)
}

// PlanCreate is the command that creates the app.
func (c *Client) PlanCreate(region string) string {
	return fmt.Sprintf("heroku apps:create %s --region %s --json", c.AppName, region)
}

// PlanAttach is the command Attach runs, if any.
func (c *Client) PlanAttach(repo *gitrepo.Repo) string {
	if repo != nil && !repo.IsRoot() {
		return ""
	}
	return "heroku git:remote -a " + c.AppName
}

// PlanConfig renders a config change as the command that makes it. The values are
// settings and key hashes, never a plaintext key.
func (c *Client) PlanConfig(changes map[string]string) string {
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
		cmds = append(cmds, fmt.Sprintf("heroku config:set %s -a %s", strings.Join(set, " "), c.AppName))
	}
	if len(unset) > 0 {
		cmds = append(cmds, fmt.Sprintf("heroku config:unset %s -a %s", strings.Join(unset, " "), c.AppName))
	}
	return strings.Join(cmds, " && ")
}

// PlanPush says what the push would run.
func (c *Client) PlanPush(repo *gitrepo.Repo) string {
	if repo == nil || repo.IsRoot() {
		return "git push " + Remote + " HEAD:main"
	}
	return fmt.Sprintf("git push %s $(git subtree split --prefix=%s HEAD):refs/heads/main  (only %s; no remote added)", c.appGitURL(), repo.Prefix, repo.Describe())
}

// PlanRollback is the command that returns the app to release r.
func (c *Client) PlanRollback(r deployers.Release) string {
	return fmt.Sprintf("heroku releases:rollback %s -a %s", r, c.AppName)
}

// herokuResult is what deploy heroku --json prints.
type herokuResult struct {
	App           string   `json:"app"`
	Created       bool     `json:"created"`
	WebURL        string   `json:"web_url"`
	Endpoint      string   `json:"endpoint"`
	ConfigChanged []string `json:"config_changed"`
	Release       int      `json:"release,omitempty"`
	Verified      bool     `json:"verified"`
	// DynoType is the size of the web dynos deployed to (Eco, Basic, …); empty when
	// unknown.
	DynoType     string   `json:"dyno_type,omitempty"`
	RolledBackTo int      `json:"rolled_back_to,omitempty"`
	DryRun       bool     `json:"dry_run"`
	Planned      []string `json:"planned,omitempty"`
}

// Report presents a deploy's result: releases by number, the dyno type.
func (c *Client) Report(res *deployers.DeployResult) deployers.Report {
	return deployers.Report{
		JSON: herokuResult{App: res.App, Created: res.Created, WebURL: res.WebURL, Endpoint: res.Endpoint, ConfigChanged: res.ConfigChanged,
			Release: res.Release.Version, Verified: res.Verified, DynoType: res.InstanceType, RolledBackTo: res.RolledBackTo.Version,
			DryRun: res.DryRun, Planned: res.Planned},
		Headline: fmt.Sprintf("Deployed %s (release v%d)", res.App, res.Release.Version),
	}
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
			return Release{}, &deployers.Error{Step: deployers.PhaseVerify, Err: errors.New("heroku reports no release after the push")}
		}
		switch rels[0].Status {
		case "succeeded", "":
			return rels[0], nil
		case "failed":
			return rels[0], &deployers.Error{Step: deployers.PhaseVerify, Err: fmt.Errorf("release v%d failed: %s", rels[0].Version, rels[0].Description),
				Fix: "see `heroku releases:output -a " + c.AppName + "`"}
		}
		if time.Now().After(deadline) {
			return rels[0], &deployers.Error{Step: deployers.PhaseVerify, Err: fmt.Errorf("release v%d is still %s after 2 minutes", rels[0].Version, rels[0].Status)}
		}
		select {
		case <-ctx.Done():
			return Release{}, ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

// previousGood is the newest succeeded release with code, 0 when there is none.
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
