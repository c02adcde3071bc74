package heroku

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/executor"
	"github.com/mcpctl/mcpctl/keys"
)

// stubDeploy answers every command of a deploy of an existing app "weather" that runs
// dynos and has the releases given.
func stubDeploy(t *testing.T, dynos, releases string) (*Client, *executor.Stub) {
	t.Helper()
	c, stub := newStubClient()
	ok := executor.Result{}
	stub.On("heroku", []string{"auth:whoami"}, executor.Result{Stdout: []byte("a@b\n")}, nil)
	stub.On("git", []string{"rev-parse"}, ok, nil)
	stub.On("git", []string{"status"}, ok, nil)
	stub.On("heroku", []string{"apps:info"}, executor.Result{Stdout: []byte(`{"app":{"name":"weather","web_url":"https://weather-1a2b.herokuapp.com/"},"dynos":` + dynos + `}`)}, nil)
	stub.On("heroku", []string{"git:remote"}, ok, nil)
	stub.On("heroku", []string{"config", "-a"}, executor.Result{Stdout: []byte(`{}`)}, nil)
	stub.On("heroku", []string{"config:set"}, ok, nil)
	stub.On("heroku", []string{"releases", "-a"}, executor.Result{Stdout: []byte(releases)}, nil)
	stub.On("git", []string{"push"}, ok, nil)
	stub.On("heroku", []string{"ps:wait"}, ok, nil)
	stub.On("heroku", []string{"logs"}, executor.Result{Stdout: []byte("app crashed\n")}, nil)
	stub.On("heroku", []string{"releases:rollback"}, ok, nil)
	return c, stub
}

func deployOpts(f *config.File, verify VerifyFunc) DeployOptions {
	k, _ := keys.Generate()
	return DeployOptions{Project: f, Env: map[string]string{"MCP_API_KEY": k}, Verify: verify}
}

const twoReleases = `[{"version":5,"status":"succeeded","description":"Deploy abc","slug":{"id":"s5"}},{"version":4,"status":"succeeded","description":"Deploy 123","slug":{"id":"s4"}}]`

func TestDeployRefusesStatefulOnSeveralDynos(t *testing.T) {
	c, stub := stubDeploy(t, `[{"type":"web","name":"web.1"},{"type":"web","name":"web.2"}]`, twoReleases)
	f := config.Default("weather")
	f.Server.Stateless = false
	f.Deploy.Heroku.App = "weather"
	_, err := c.Deploy(context.Background(), deployOpts(f, nil))
	if err == nil || !strings.Contains(err.Error(), "2 web dynos") || !strings.Contains(hint(err), "ps:scale web=1") {
		t.Fatalf("got %v (hint %q), want a refusal naming the dynos and the fix", err, hint(err))
	}
	for _, call := range stub.Calls() {
		if strings.HasPrefix(call, "heroku config:set") || strings.HasPrefix(call, "git push") {
			t.Errorf("changed the app before refusing: %s", call)
		}
	}
}

func TestDeployRollsBackUnlessTold(t *testing.T) {
	broken := func(context.Context, string) error { return errors.New("initialize: HTTP 404") }
	for _, noRollback := range []bool{false, true} {
		c, stub := stubDeploy(t, `[{"type":"web"}]`, twoReleases)
		f := config.Default("weather")
		f.Deploy.Heroku.App = "weather"
		opts := deployOpts(f, broken)
		opts.NoRollback = noRollback
		res, err := c.Deploy(context.Background(), opts)
		if err == nil {
			t.Fatal("a release that fails verification deployed without error")
		}
		rolledBack := slices.Contains(stub.Calls(), "heroku releases:rollback v5 -a weather")
		switch {
		case noRollback && (rolledBack || !strings.Contains(err.Error(), "--no-rollback")):
			t.Errorf("--no-rollback: rolled back %v, error %v", rolledBack, err)
		case !noRollback && (!rolledBack || res.RolledBackTo != 5):
			t.Errorf("no rollback to v5: calls %v, result %+v", stub.Calls(), res)
		}
		if !slices.Contains(stub.Calls(), "heroku logs -n 200 -a weather") {
			t.Error("the failed release's logs were not fetched")
		}
	}
}

func TestDeployCreatesInTheGivenRegion(t *testing.T) {
	c, stub := newStubClient()
	stub.On("heroku", []string{"auth:whoami"}, executor.Result{Stdout: []byte("a@b\n")}, nil)
	stub.On("git", []string{"rev-parse"}, executor.Result{}, nil)
	stub.On("git", []string{"status"}, executor.Result{}, nil)
	stub.On("heroku", []string{"apps:info"}, executor.Result{}, &executor.ExitError{ExitCode: 1, Stderr: []byte("Couldn't find that app.")})
	f := config.Default("weather")
	opts := deployOpts(f, nil)
	opts.Region, opts.DryRun = "eu", true
	res, err := c.Deploy(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(res.Planned, "heroku apps:create weather --region eu --json") {
		t.Fatalf("planned %v", res.Planned)
	}
}
