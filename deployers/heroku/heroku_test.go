package heroku

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/deployers"
	"github.com/mcpctl/mcpctl/internal/executor"
)

func newStubClient(t *testing.T) (*Client, *executor.Stub) {
	stub := executor.NewStub(t)
	return &Client{Exec: stub, Dir: "/proj", AppName: "weather"}, stub
}

func TestInfoParsesAppAndDynos(t *testing.T) {
	c, stub := newStubClient(t)
	stub.On("heroku", []string{"apps:info"}, executor.Result{Stdout: []byte(`{"app":{"name":"weather","web_url":"https://weather-1a2b.herokuapp.com/","region":{"name":"eu"}},"dynos":[{"type":"web","name":"web.1"},{"type":"web","name":"web.2"}]}`)}, nil)
	app, dynos, err := c.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if app.WebURL != "https://weather-1a2b.herokuapp.com/" || app.Region.Name != "eu" || countWeb(dynos) != 2 {
		t.Fatalf("app %+v dynos %v", app, dynos)
	}
	if got := stub.Calls(); got[0] != "heroku apps:info -a weather --json" {
		t.Fatalf("calls %v", got)
	}
}

func TestErrorsAreClassified(t *testing.T) {
	c, stub := newStubClient(t)
	stub.On("heroku", []string{"auth:whoami"}, executor.Result{}, &executor.ExitError{ExitCode: 100, Stderr: []byte(" ›   Error: not logged in")})
	stub.On("heroku", []string{"apps:info"}, executor.Result{}, &executor.ExitError{ExitCode: 1, Stderr: []byte(" ›   Error: Couldn't find that app.")})
	stub.On("heroku", []string{"apps:create"}, executor.Result{}, &executor.ExitError{ExitCode: 1, Stderr: []byte(" ›   Error: Name weather is already taken")})
	ctx := context.Background()
	if _, err := c.WhoAmI(ctx); !errors.Is(err, ErrNotLoggedIn) || !strings.Contains(hint(err), "heroku login") {
		t.Errorf("whoami: %v", err)
	}
	if _, _, err := c.Info(ctx); !errors.Is(err, ErrAppNotFound) {
		t.Errorf("info: %v", err)
	}
	if _, err := c.Create(ctx, "us"); !errors.Is(err, ErrNameTaken) || !strings.Contains(hint(err), "--app") {
		t.Errorf("create: %v", err)
	}
	stub.Missing = []string{"heroku"}
	if err := c.CheckInstalled(); !errors.Is(err, ErrNotInstalled) || !strings.Contains(hint(err), "npm install -g heroku") {
		t.Errorf("installed: %v", err)
	}
}

func hint(err error) string {
	var h interface{ Hint() string }
	if errors.As(err, &h) {
		return h.Hint()
	}
	return ""
}

func TestUnexpectedOutputIsAnError(t *testing.T) {
	c, stub := newStubClient(t)
	stub.On("heroku", []string{"config"}, executor.Result{Stdout: []byte("=== weather Config Vars")}, nil)
	stub.On("heroku", []string{"releases"}, executor.Result{Stdout: []byte("not json")}, nil)
	if _, err := c.Config(context.Background()); err == nil || !strings.Contains(err.Error(), "unexpected output") {
		t.Errorf("config: %v", err)
	}
	if _, err := c.Releases(context.Background()); err == nil {
		t.Error("releases: no error")
	}
}

func TestSetConfigSetsAndUnsetsInOneCallEach(t *testing.T) {
	c, stub := newStubClient(t)
	stub.On("heroku", []string{"config:set"}, executor.Result{}, nil)
	stub.On("heroku", []string{"config:unset"}, executor.Result{}, nil)
	if err := c.SetConfig(context.Background(), map[string]string{"B": "2", "A": "1", "C": ""}); err != nil {
		t.Fatal(err)
	}
	want := []string{"heroku config:set A=1 B=2 -a weather", "heroku config:unset C -a weather"}
	if got := stub.Calls(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("calls\n%v\nwant\n%v", got, want)
	}
}

func TestPreviousGoodSkipsConfigOnlyReleases(t *testing.T) {
	slug := &struct {
		ID string `json:"id"`
	}{ID: "s"}
	rels := []Release{{Version: 3, Status: "failed", Slug: slug}, {Version: 2, Status: "succeeded", Slug: slug}, {Version: 1, Status: "succeeded"}}
	if v := previousGood(rels); v != 2 {
		t.Fatalf("previousGood = %d, want 2", v)
	}
	if v := previousGood(rels[2:]); v != 0 {
		t.Fatalf("previousGood of a new app = %d, want 0", v)
	}
}

// Every heroku command line the client sends must exist in the real Heroku CLI: each
// subcommand and flag is looked up in its own help. CI installs the CLI (npm package
// heroku) and points MCPCTL_HEROKU_CLI at it.
func TestCommandLinesMatchTheRealHerokuCLI(t *testing.T) {
	cli := os.Getenv("MCPCTL_HEROKU_CLI")
	if cli == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("MCPCTL_HEROKU_CLI is not set; .ci/run installs the heroku CLI and sets it")
		}
		t.Skip("set MCPCTL_HEROKU_CLI to a heroku executable (npm install heroku) to run this check")
	}
	c, stub := newStubClient(t)
	ok := executor.Result{Stdout: []byte(`{}`)}
	stub.On("heroku", nil, ok, nil)
	stub.On("heroku", []string{"apps:info"}, executor.Result{Stdout: []byte(`{"app":{"name":"weather","web_url":"https://w/"}}`)}, nil)
	stub.On("heroku", []string{"apps:create"}, executor.Result{Stdout: []byte(`{"name":"weather"}`)}, nil)
	stub.On("heroku", []string{"releases"}, executor.Result{Stdout: []byte(`[]`)}, nil)
	ctx := context.Background()
	_, _ = c.WhoAmI(ctx)
	_, _, _ = c.Info(ctx)
	_, _ = c.Create(ctx, "eu")
	_ = c.SetGitRemote(ctx)
	_, _ = c.Config(ctx)
	_ = c.SetConfig(ctx, map[string]string{"A": "1", "B": ""})
	_, _ = c.Releases(ctx)
	_ = c.Rollback(ctx, deployers.Release{Version: 3})
	_ = c.WaitForDynos(ctx)
	_, _ = c.Logs(ctx, 200)
	_ = c.Scale(ctx, 2)

	helps := map[string]string{}
	for _, line := range stub.Calls() {
		args := strings.Fields(line)[1:]
		sub := args[0]
		help, ok := helps[sub]
		if !ok {
			out, err := exec.Command(cli, "help", sub).CombinedOutput()
			if err != nil {
				t.Fatalf("heroku help %s: %v\n%s", sub, err, out)
			}
			help = string(out)
			helps[sub] = help
			if !strings.Contains(help, "$ heroku "+sub) {
				t.Errorf("heroku has no command %s:\n%s", sub, help)
			}
		}
		for _, a := range args[1:] {
			if !strings.HasPrefix(a, "-") {
				continue
			}
			long := strings.HasPrefix(a, "--")
			if long && !strings.Contains(help, a+"=") && !strings.Contains(help, a+" ") && !strings.Contains(help, a+"\n") {
				t.Errorf("heroku %s has no flag %s", sub, a)
			}
			if !long && !strings.Contains(help, a+", --") {
				t.Errorf("heroku %s has no flag %s", sub, a)
			}
		}
	}
	if len(helps) < 9 {
		t.Errorf("checked only %d subcommands: %v", len(helps), helps)
	}
}

// An OAuth project gets its issuer settings and, unless mcpctl.toml names one, the app's
// own endpoint as resource URL; never key hashes.
func TestDeployConfigForOAuth(t *testing.T) {
	c, stub := newStubClient(t)
	stub.On("heroku", []string{"auth:whoami"}, executor.Result{Stdout: []byte("a@b\n")}, nil)
	stubGit(stub, "")
	stub.On("heroku", []string{"apps:info"}, executor.Result{Stdout: []byte(`{"app":{"name":"weather","web_url":"https://weather-1a2b.herokuapp.com/"}}`)}, nil)
	stub.On("heroku", []string{"config", "-a"}, executor.Result{Stdout: []byte(`{}`)}, nil)
	f := config.Default("weather")
	f.Server.Auth = config.AuthOAuth
	f.Server.OAuth.Issuer = "https://auth.example.com/"
	f.Deploy.Heroku.App = "weather"
	res, err := deploy(c, deployers.DeployOptions{Project: f, Env: map[string]string{"MCP_RESOURCE_URL": "http://127.0.0.1:8000/mcp"}, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	var set string
	for _, p := range res.Planned {
		if strings.HasPrefix(p, "heroku config:set") {
			set = p
		}
	}
	for _, want := range []string{"MCP_OAUTH_ISSUER", "MCP_RESOURCE_URL", "MCP_AUTH"} {
		if !strings.Contains(set, want) {
			t.Errorf("planned %q lacks %s", set, want)
		}
	}
	if strings.Contains(set, "MCP_API_KEY_HASHES") {
		t.Errorf("an OAuth app would get key hashes: %q", set)
	}
	want := deployers.DesiredConfig(f, nil)
	if _, ok := want["MCP_API_KEY_HASHES"]; ok {
		t.Error("DesiredConfig gives an OAuth project key hashes")
	}
}

// hangingExec never finishes a command on its own: it waits until the client has said it
// is waiting, then reports the timeout the command carried.
type hangingExec struct {
	executor.Stub
	waited chan struct{}
	got    executor.Cmd
}

func (h *hangingExec) Run(ctx context.Context, cmd executor.Cmd) (executor.Result, error) {
	h.got = cmd
	select {
	case <-h.waited:
	case <-ctx.Done():
		return executor.Result{}, ctx.Err()
	}
	return executor.Result{}, &executor.TimeoutError{Cmd: cmd, After: cmd.Timeout}
}

// A hanging heroku call is bounded, announced while it runs, and its error names it and
// counts as a timeout (exit 124).
func TestHangingCallTimesOutNamed(t *testing.T) {
	h := &hangingExec{waited: make(chan struct{})}
	var once sync.Once
	var calls []string
	c := &Client{Exec: h, AppName: "weather", Timeout: 7 * time.Second, WaitEvery: time.Millisecond,
		Waiting: func(call string, _ time.Duration) {
			once.Do(func() { calls = append(calls, call); close(h.waited) })
		}}
	_, err := c.Config(context.Background())
	if h.got.Timeout != 7*time.Second {
		t.Errorf("the call carried timeout %v", h.got.Timeout)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "heroku config") || !strings.Contains(hint(err), "again") {
		t.Fatalf("got %v (hint %q)", err, hint(err))
	}
	if len(calls) != 1 || calls[0] != "heroku config" {
		t.Fatalf("waiting reported %v", calls)
	}
}
