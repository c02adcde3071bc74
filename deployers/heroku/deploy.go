package heroku

import (
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
var _ deployers.Deployer = (*Client)(nil)

// Manual names Heroku and its commands in messages.
func (c *Client) Manual() deployers.Manual {
	return deployers.Manual{
		Title:         "Heroku",
		DefaultRegion: config.DefaultRegion,
		Logs:          "heroku logs --tail -a " + c.AppName,
		Rollback:      "heroku releases:rollback -a " + c.AppName,
	}
}

// SetApp chooses the app.
func (c *Client) SetApp(name string) { c.AppName = name }

// SetWaiting sets Waiting.
func (c *Client) SetWaiting(f func(call string, elapsed time.Duration)) { c.Waiting = f }

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
		return &Error{Step: deployers.PhaseApp, Err: fmt.Errorf("%s runs %d web dynos but mcpctl.toml has stateless = false", c.AppName, n),
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

// waitForRelease waits (bounded) for the newest release to leave "pending".
func (c *Client) waitForRelease(ctx context.Context) (Release, error) {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		rels, err := c.Releases(ctx)
		if err != nil {
			return Release{}, err
		}
		if len(rels) == 0 {
			return Release{}, &Error{Step: deployers.PhaseVerify, Err: errors.New("heroku reports no release after the push")}
		}
		switch rels[0].Status {
		case "succeeded", "":
			return rels[0], nil
		case "failed":
			return rels[0], &Error{Step: deployers.PhaseVerify, Err: fmt.Errorf("release v%d failed: %s", rels[0].Version, rels[0].Description),
				Fix: "see `heroku releases:output -a " + c.AppName + "`"}
		}
		if time.Now().After(deadline) {
			return rels[0], &Error{Step: deployers.PhaseVerify, Err: fmt.Errorf("release v%d is still %s after 2 minutes", rels[0].Version, rels[0].Status)}
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
