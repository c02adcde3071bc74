// Package heroku deploys and manages an app on Heroku by driving the user's own `heroku`
// and `git` executables through the executor. It parses their --json output and turns
// their failures into errors that say what to do.
package heroku

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/mcpctl/mcpctl/deployers"
	"github.com/mcpctl/mcpctl/gitrepo"
	"github.com/mcpctl/mcpctl/internal/executor"
)

// Remote is the git remote name the Heroku CLI creates and deploys use.
const Remote = "heroku"

// Client talks to one Heroku app. Dir is the project (git) directory.
type Client struct {
	Exec    executor.Executor
	Dir     string
	AppName string
	// Timeout bounds each heroku call (deployers.CallTimeout when zero); a push gets
	// deployers.BuildTimeout, since it includes the build.
	Timeout time.Duration
	// Waiting, when set, is called every WaitEvery while a call runs, with the command
	// and the time spent so far, so that the user sees what mcpctl waits for.
	Waiting   func(call string, elapsed time.Duration)
	WaitEvery time.Duration

	gitURL string // the app's git URL, from apps:info or apps:create
	dynos  []Dyno // the app's dynos, from apps:info
}

// Name is the platform's name.
func (c *Client) Name() string { return "heroku" }

// App is the Heroku app name.
func (c *Client) App() string { return c.AppName }

// Errors a caller may want to tell apart.
var (
	ErrNotInstalled = errors.New("the heroku CLI is not installed")
	ErrNotLoggedIn  = errors.New("the heroku CLI is not logged in")
	ErrAppNotFound  = errors.New("no such Heroku app, or no access to it")
	ErrNameTaken    = errors.New("that Heroku app name is taken")
)

func (c *Client) heroku(ctx context.Context, step string, args ...string) (executor.Result, error) {
	return c.run(ctx, executor.Cmd{Name: "heroku", Args: args, Dir: c.Dir, Env: []string{"HEROKU_COLOR=0", "NO_COLOR=1"}}, step)
}

func (c *Client) run(ctx context.Context, cmd executor.Cmd, step string) (executor.Result, error) {
	if cmd.Timeout == 0 {
		cmd.Timeout = cmp.Or(c.Timeout, deployers.CallTimeout)
	}
	if c.Waiting != nil {
		stop := c.tick(cmd)
		defer stop()
	}
	res, err := c.Exec.Run(ctx, cmd)
	if err == nil {
		return res, nil
	}
	var te *executor.TimeoutError
	if errors.As(err, &te) {
		return res, &deployers.Error{Step: step, Err: err, Fix: "the platform did not answer; check https://status.heroku.com and your connection, then run the same command again (MCPCTL_HEROKU_TIMEOUT sets the limit)"}
	}
	var nf *executor.NotFoundError
	if errors.As(err, &nf) {
		if cmd.Name == "heroku" {
			return res, &deployers.Error{Step: step, Err: ErrNotInstalled, Fix: installHint}
		}
		return res, &deployers.Error{Step: step, Err: err, Fix: "install " + cmd.Name}
	}
	return res, &deployers.Error{Step: step, Err: err}
}

// tick reports a running call to c.Waiting until stop is called.
func (c *Client) tick(cmd executor.Cmd) (stop func()) {
	every := cmp.Or(c.WaitEvery, 5*time.Second)
	done := make(chan struct{})
	finished := make(chan struct{})
	start := time.Now()
	call := cmd.Name
	if len(cmd.Args) > 0 {
		call += " " + cmd.Args[0]
	}
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				c.Waiting(call, time.Since(start).Round(time.Second))
			}
		}
	}()
	return func() { close(done); <-finished }
}

const installHint = "install the Heroku CLI (npm install -g heroku, or see https://devcenter.heroku.com/articles/heroku-cli), then run `heroku login`"

// CheckInstalled reports whether the heroku executable is on PATH.
func (c *Client) CheckInstalled() error {
	if _, err := c.Exec.LookPath("heroku"); err != nil {
		return &deployers.Error{Step: "preflight", Err: ErrNotInstalled, Fix: installHint}
	}
	return nil
}

// WhoAmI returns the logged-in account's email.
func (c *Client) WhoAmI(ctx context.Context) (string, error) {
	res, err := c.Exec.Run(ctx, executor.Cmd{Name: "heroku", Args: []string{"auth:whoami"}, Dir: c.Dir, Timeout: cmp.Or(c.Timeout, deployers.CallTimeout)})
	var exit *executor.ExitError
	switch {
	case err == nil:
		return strings.TrimSpace(string(res.Stdout)), nil
	case errors.As(err, &exit) && (exit.ExitCode == 100 || bytes.Contains(exit.Stderr, []byte("not logged in"))):
		return "", &deployers.Error{Step: "preflight", Err: ErrNotLoggedIn, Fix: "run `heroku login` (or set HEROKU_API_KEY), then try again"}
	case errors.As(err, new(*executor.TimeoutError)):
		return "", &deployers.Error{Step: "preflight", Err: err, Fix: "the Heroku CLI did not answer; check your connection and https://status.heroku.com, then try again"}
	}
	_, err = c.run(ctx, executor.Cmd{Name: "heroku", Args: []string{"auth:whoami"}}, "preflight")
	return "", err
}

// AppInfo is what mcpctl uses of an app.
type AppInfo struct {
	Name   string `json:"name"`
	WebURL string `json:"web_url"`
	GitURL string `json:"git_url"`
	Region struct {
		Name string `json:"name"`
	} `json:"region"`
}

// Dyno is one running dyno.
type Dyno struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	State string `json:"state"`
	Size  string `json:"size"` // Eco, Basic, Standard-1X, …
}

// Info returns the app and its dynos.
func (c *Client) Info(ctx context.Context) (*AppInfo, []Dyno, error) {
	res, err := c.heroku(ctx, "app", "apps:info", "-a", c.AppName, "--json")
	if err != nil {
		if isNotFound(err) {
			return nil, nil, &deployers.Error{Step: "app", Err: fmt.Errorf("%w: %s", ErrAppNotFound, c.AppName),
				Fix: "check the name with `heroku apps`, or remove [deploy.heroku] app from mcpctl.toml to create a new app"}
		}
		return nil, nil, err
	}
	var info struct {
		App   AppInfo `json:"app"`
		Dynos []Dyno  `json:"dynos"`
	}
	if err := json.Unmarshal(res.Stdout, &info); err != nil || info.App.Name == "" {
		return nil, nil, &deployers.Error{Step: "app", Err: fmt.Errorf("unexpected output from heroku apps:info --json: %s", deployers.Snippet(res.Stdout))}
	}
	return &info.App, info.Dynos, nil
}

// Create makes a new app called c.AppName in region.
func (c *Client) Create(ctx context.Context, region string) (*deployers.App, error) {
	res, err := c.heroku(ctx, "app", "apps:create", c.AppName, "--region", region, "--json")
	if err != nil {
		var exit *executor.ExitError
		if errors.As(err, &exit) && bytes.Contains(bytes.ToLower(exit.Stderr), []byte("already taken")) {
			return nil, &deployers.Error{Step: "app", Err: fmt.Errorf("%w: %s", ErrNameTaken, c.AppName),
				Fix: "choose another name: mcpctl deploy heroku --app " + c.AppName + "-2 (app names are global on Heroku)"}
		}
		return nil, err
	}
	var app AppInfo
	if err := json.Unmarshal(res.Stdout, &app); err != nil || app.Name == "" {
		return nil, &deployers.Error{Step: "app", Err: fmt.Errorf("unexpected output from heroku apps:create --json: %s", deployers.Snippet(res.Stdout))}
	}
	c.gitURL = app.GitURL
	return &deployers.App{Name: app.Name, WebURL: app.WebURL}, nil
}

// SetGitRemote points the heroku git remote at the app.
func (c *Client) SetGitRemote(ctx context.Context) error {
	_, err := c.heroku(ctx, "git remote", "git:remote", "-a", c.AppName)
	return err
}

// WebURL returns the app's public URL. Heroku adds a random suffix to new apps' hosts,
// so the URL is always read, never built from the name.
func (c *Client) WebURL(ctx context.Context) (string, error) {
	app, _, err := c.Info(ctx)
	if err != nil {
		return "", err
	}
	if app.WebURL == "" {
		return "", &deployers.Error{Step: "app", Err: errors.New("heroku reported no web URL for " + c.AppName)}
	}
	return app.WebURL, nil
}

// Config returns the app's config vars.
func (c *Client) Config(ctx context.Context) (map[string]string, error) {
	res, err := c.heroku(ctx, "config", "config", "-a", c.AppName, "--json")
	if err != nil {
		return nil, err
	}
	vars := map[string]string{}
	if err := json.Unmarshal(res.Stdout, &vars); err != nil {
		return nil, &deployers.Error{Step: "config", Err: fmt.Errorf("unexpected output from heroku config --json: %s", deployers.Snippet(res.Stdout))}
	}
	return vars, nil
}

// SetConfig sets (and, for empty values, unsets) config vars. Each call is one release.
// Values here are never secrets: heroku prints them and they show in `ps`.
func (c *Client) SetConfig(ctx context.Context, vars map[string]string) error {
	var set, unset []string
	for _, k := range sortedKeys(vars) {
		if vars[k] == "" {
			unset = append(unset, k)
		} else {
			set = append(set, k+"="+vars[k])
		}
	}
	if len(set) > 0 {
		if _, err := c.heroku(ctx, "config", append(append([]string{"config:set"}, set...), "-a", c.AppName)...); err != nil {
			return err
		}
	}
	if len(unset) > 0 {
		if _, err := c.heroku(ctx, "config", append(append([]string{"config:unset"}, unset...), "-a", c.AppName)...); err != nil {
			return err
		}
	}
	return nil
}

// Release is one release of the app.
type Release struct {
	Version     int    `json:"version"`
	Status      string `json:"status"`
	Current     bool   `json:"current"`
	Description string `json:"description"`
	// Slug is nil for releases without code (a new app's config-only releases).
	Slug *struct {
		ID string `json:"id"`
	} `json:"slug"`
}

// Releases returns the app's releases, newest first.
func (c *Client) Releases(ctx context.Context) ([]Release, error) {
	res, err := c.heroku(ctx, "releases", "releases", "-a", c.AppName, "--json", "-n", "10")
	if err != nil {
		return nil, err
	}
	var rels []Release
	if err := json.Unmarshal(res.Stdout, &rels); err != nil {
		return nil, &deployers.Error{Step: "releases", Err: fmt.Errorf("unexpected output from heroku releases --json: %s", deployers.Snippet(res.Stdout))}
	}
	slices.SortFunc(rels, func(a, b Release) int { return b.Version - a.Version })
	return rels, nil
}

// Rollback returns the app to release r.
func (c *Client) Rollback(ctx context.Context, r deployers.Release) error {
	_, err := c.heroku(ctx, "rollback", "releases:rollback", fmt.Sprintf("v%d", r.Version), "-a", c.AppName)
	return err
}

// WaitForDynos blocks until every dyno runs the latest release.
func (c *Client) WaitForDynos(ctx context.Context) error {
	_, err := c.heroku(ctx, "wait", "ps:wait", "-a", c.AppName, "-w", "2")
	return err
}

// Logs returns the app's last n log lines.
func (c *Client) Logs(ctx context.Context, n int) (string, error) {
	res, err := c.heroku(ctx, "logs", "logs", "-n", fmt.Sprint(n), "-a", c.AppName)
	return string(res.Stdout), err
}

// Push deploys HEAD with `git push heroku HEAD:main`, streaming the build output. A
// project in a folder of a larger repository pushes only that folder: its subtree split,
// to the app's git URL.
func (c *Client) Push(ctx context.Context, repo *gitrepo.Repo, out io.Writer) error {
	args := []string{"push", Remote, "HEAD:main"}
	if repo != nil && !repo.IsRoot() {
		sha, err := repo.DeployCommit(ctx)
		if err != nil {
			return &deployers.Error{Step: "push", Err: err, Fix: "run `git subtree split --prefix=" + repo.Prefix + " HEAD` in " + repo.Root + " to see what git reports"}
		}
		args = []string{"push", c.appGitURL(), sha + ":refs/heads/main"}
	}
	_, err := c.run(ctx, executor.Cmd{Name: "git", Args: args, Dir: c.Dir, Stdout: out, Stderr: out, Timeout: deployers.BuildTimeout}, "push")
	if err != nil {
		return &deployers.Error{Step: "push", Err: err, Fix: "read the build output above; fix the build locally with `go build ./...`, commit, and deploy again"}
	}
	return nil
}

// appGitURL is the app's git URL as Heroku reported it, else the one Heroku gives every app.
func (c *Client) appGitURL() string {
	if c.gitURL != "" {
		return c.gitURL
	}
	return "https://git.heroku.com/" + c.AppName + ".git"
}

func isNotFound(err error) bool {
	var exit *executor.ExitError
	if !errors.As(err, &exit) {
		return false
	}
	s := strings.ToLower(string(exit.Stderr))
	return strings.Contains(s, "couldn't find that app") || strings.Contains(s, "not found") || strings.Contains(s, "you do not have access")
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
