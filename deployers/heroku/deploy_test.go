package heroku

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/deployers"
	"github.com/mcpctl/mcpctl/internal/executor"
	"github.com/mcpctl/mcpctl/keys"
)

// stubDeploy answers every command of a deploy of the existing app "weather" that runs
// dynos and has the releases given, without verification. The stub
// fails the test on a rule not used: a test that stops earlier registers its own steps.
func stubDeploy(t *testing.T, dynos, releases string) (*Client, *executor.Stub) {
	t.Helper()
	c, stub := stubPreflight(t, dynos)
	stub.On("heroku", []string{"git:remote"}, executor.Result{}, nil)
	stubRelease(stub, releases)
	return c, stub
}

// stubPreflight answers a deploy's checks up to the app's info: logged in, a clean
// project at the root of its repository, the app "weather" running dynos.
func stubPreflight(t *testing.T, dynos string) (*Client, *executor.Stub) {
	c, stub := newStubClient(t)
	stub.On("heroku", []string{"auth:whoami"}, executor.Result{Stdout: []byte("a@b\n")}, nil)
	stubGit(stub, "")
	stub.On("heroku", []string{"apps:info"}, executor.Result{Stdout: []byte(`{"app":{"name":"weather","web_url":"https://weather-1a2b.herokuapp.com/"},"dynos":` + dynos + `}`)}, nil)
	return c, stub
}

// stubRelease answers the config and the push of the new release.
func stubRelease(stub *executor.Stub, releases string) {
	ok := executor.Result{}
	stub.On("heroku", []string{"config", "-a"}, executor.Result{Stdout: []byte(`{}`)}, nil)
	stub.On("heroku", []string{"config:set"}, ok, nil)
	stub.On("heroku", []string{"releases", "-a"}, executor.Result{Stdout: []byte(releases)}, nil)
	stub.On("git", []string{"push"}, ok, nil)
}

// stubVerify answers the wait for the dynos that precedes a Verify.
func stubVerify(stub *executor.Stub) {
	stub.On("heroku", []string{"ps:wait"}, executor.Result{}, nil)
}

// stubGit answers the git commands of a deploy's preflight for a clean project at the
// root of its repository, or in folder prefix of a larger one.
func stubGit(stub *executor.Stub, prefix string) {
	git := func(args ...string) []string { return append([]string{"-c", "core.quotepath=off"}, args...) }
	stub.On("git", git("rev-parse", "--show-toplevel"), executor.Result{Stdout: []byte("/repo\n" + prefix + "\n")}, nil)
	stub.On("git", git("rev-parse", "--verify"), executor.Result{Stdout: []byte("1111111111111111111111111111111111111111\n")}, nil)
	stub.On("git", git("status"), executor.Result{}, nil)
}

// stubGitIdentity answers git's identity check, made before a deploy commits.
func stubGitIdentity(stub *executor.Stub) {
	stub.On("git", []string{"-c", "core.quotepath=off", "var"}, executor.Result{Stdout: []byte("t <t@example.com> 0 +0000\n")}, nil)
}

// deploy runs the pipeline on c, with c's executor for git.
func deploy(c *Client, opts deployers.DeployOptions) (*deployers.DeployResult, error) {
	opts.Exec, opts.Dir = c.Exec, c.Dir
	return deployers.Deploy(context.Background(), c, opts)
}

func deployOpts(f *config.File, verify deployers.VerifyFunc) deployers.DeployOptions {
	k, _ := keys.Generate()
	return deployers.DeployOptions{Project: f, Env: map[string]string{"MCP_API_KEY": k}, Verify: verify}
}

// pushed is twoReleases after a push made v6; the stub answers one list before and
// after the push, so v6 shows no slug, which keeps v5 the last good release.
var pushed = `[{"version":6,"status":"succeeded","description":"Deploy def"},` + twoReleases[1:]

const twoReleases = `[{"version":5,"status":"succeeded","description":"Deploy abc","slug":{"id":"s5"}},{"version":4,"status":"succeeded","description":"Deploy 123","slug":{"id":"s4"}}]`

func TestDeployRefusesStatefulOnSeveralDynos(t *testing.T) {
	c, stub := stubPreflight(t, `[{"type":"web","name":"web.1"},{"type":"web","name":"web.2"}]`)
	f := config.Default("weather")
	f.Server.Stateless = false
	f.Deploy.Heroku.App = "weather"
	_, err := deploy(c, deployOpts(f, nil))
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
		c, stub := stubDeploy(t, `[{"type":"web"}]`, pushed)
		stubVerify(stub)
		stub.On("heroku", []string{"logs"}, executor.Result{Stdout: []byte("app crashed\n")}, nil)
		if !noRollback {
			stub.On("heroku", []string{"releases:rollback"}, executor.Result{}, nil)
		}
		f := config.Default("weather")
		f.Deploy.Heroku.App = "weather"
		opts := deployOpts(f, broken)
		opts.NoRollback = noRollback
		res, err := deploy(c, opts)
		if err == nil {
			t.Fatal("a release that fails verification deployed without error")
		}
		rolledBack := slices.Contains(stub.Calls(), "heroku releases:rollback v5 -a weather")
		switch {
		case noRollback && (rolledBack || !strings.Contains(err.Error(), "--no-rollback")):
			t.Errorf("--no-rollback: rolled back %v, error %v", rolledBack, err)
		case !noRollback && (!rolledBack || res.RolledBackTo.Version != 5):
			t.Errorf("no rollback to v5: calls %v, result %+v", stub.Calls(), res)
		}
		if !slices.Contains(stub.Calls(), "heroku logs -n 200 -a weather") {
			t.Error("the failed release's logs were not fetched")
		}
	}
}

func TestDeployCreatesInTheGivenRegion(t *testing.T) {
	c, stub := newStubClient(t)
	stub.On("heroku", []string{"auth:whoami"}, executor.Result{Stdout: []byte("a@b\n")}, nil)
	stubGit(stub, "")
	stubGitIdentity(stub)
	stub.On("heroku", []string{"apps:info"}, executor.Result{}, &executor.ExitError{ExitCode: 1, Stderr: []byte("Couldn't find that app.")})
	f := config.Default("weather")
	opts := deployOpts(f, nil)
	opts.Region, opts.DryRun = "eu", true
	res, err := deploy(c, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(res.Planned, "heroku apps:create weather --region eu --json") {
		t.Fatalf("planned %v", res.Planned)
	}
}

// A project in a folder of a larger repository: no heroku remote in that repository, the
// app name committed (only mcpctl.toml) before the push, and the push sends the folder's
// split to the app's git URL.
func TestDeployFromAFolderPushesTheSplitToTheGitURL(t *testing.T) {
	c, stub := stubPreflight(t, `[{"type":"web"}]`)
	stubRelease(stub, twoReleases)
	stubGit(stub, "svc/weather/")
	stubGitIdentity(stub)
	git := func(args ...string) []string { return append([]string{"-c", "core.quotepath=off"}, args...) }
	stub.On("heroku", []string{"apps:info"}, executor.Result{Stdout: []byte(`{"app":{"name":"weather","web_url":"https://weather-1a2b.herokuapp.com/","git_url":"https://git.heroku.com/weather.git"},"dynos":[]}`)}, nil)
	stub.On("git", git("commit"), executor.Result{}, nil)
	stub.On("git", git("subtree", "split"), executor.Result{Stdout: []byte("2222222222222222222222222222222222222222\n")}, nil)
	f := config.Default("weather")
	opts := deployOpts(f, nil)
	var recorded string
	opts.Record = func(_ string, s []deployers.Setting) error { recorded = s[0].Value; return nil }
	if _, err := deploy(c, opts); err != nil {
		t.Fatal(err)
	}
	calls := stub.Calls()
	if recorded != "weather" {
		t.Errorf("app not recorded: %q", recorded)
	}
	commit, push := -1, -1
	for i, call := range calls {
		switch {
		case strings.HasPrefix(call, "heroku git:remote"):
			t.Errorf("added a remote to the larger repository: %s", call)
		case strings.Contains(call, " commit ") && strings.HasSuffix(call, "-- mcpctl.toml"):
			commit = i
		case strings.HasPrefix(call, "git push"):
			push = i
			if call != "git push https://git.heroku.com/weather.git 2222222222222222222222222222222222222222:refs/heads/main" {
				t.Errorf("push %q", call)
			}
		}
	}
	if commit < 0 || push < 0 || commit > push {
		t.Errorf("want the app name committed (only mcpctl.toml), then the push: %v", calls)
	}
}

// Without the heroku CLI a dry run still shows the config (hashes, never the key) and
// the push, then fails naming what is missing.
func TestDryRunWithoutHerokuShowsThePlan(t *testing.T) {
	for _, why := range []string{"not installed", "not logged in"} {
		c, stub := newStubClient(t)
		stubGit(stub, "")
		stubGitIdentity(stub)
		if why == "not installed" {
			stub.Missing = []string{"heroku"}
		} else {
			stub.On("heroku", []string{"auth:whoami"}, executor.Result{}, &executor.ExitError{ExitCode: 100, Stderr: []byte(" ›   Error: not logged in")})
		}
		f := config.Default("weather")
		opts := deployOpts(f, nil)
		opts.DryRun = true
		res, err := deploy(c, opts)
		want := ErrNotInstalled
		if why == "not logged in" {
			want = ErrNotLoggedIn
		}
		if !errors.Is(err, want) || hint(err) == "" {
			t.Errorf("%s: error %v (hint %q), want %v with its fix", why, err, hint(err), want)
		}
		plan := strings.Join(res.Planned, "\n")
		hashes := keys.HashList(keys.InEnv(opts.Env))
		for _, w := range []string{"heroku config:set", keys.HashesEnvVar + "=" + hashes, "git push heroku HEAD:main", `record [deploy.heroku] app = "weather"`} {
			if !strings.Contains(plan, w) {
				t.Errorf("%s: plan lacks %q:\n%s", why, w, plan)
			}
		}
		if strings.Contains(plan, opts.Env["MCP_API_KEY"]) {
			t.Errorf("%s: the plan shows the plaintext key", why)
		}
		for _, call := range stub.Calls() {
			if strings.Contains(call, " commit") || strings.HasPrefix(call, "git push") {
				t.Errorf("%s: a dry run ran %s", why, call)
			}
		}
	}
}

// A commit the deploy needs but git cannot make (no identity) stops the deploy before
// anything changes, with git's own instructions.
func TestDeployWithoutGitIdentityKeepsGitsInstructions(t *testing.T) {
	c, stub := newStubClient(t)
	stub.On("heroku", []string{"auth:whoami"}, executor.Result{Stdout: []byte("a@b\n")}, nil)
	stubGit(stub, "")
	gitsWords := "*** Please tell me who you are.\n\nRun\n\n  git config --global user.email \"you@example.com\"\n  git config --global user.name \"Your Name\"\n\nto set your account's default identity."
	stub.On("git", []string{"-c", "core.quotepath=off", "var"}, executor.Result{}, &executor.ExitError{ExitCode: 128, Stderr: []byte(gitsWords)})
	f := config.Default("weather")
	opts := deployOpts(f, nil)
	opts.Record = func(string, []deployers.Setting) error { t.Error("mcpctl.toml changed before the failure"); return nil }
	_, err := deploy(c, opts)
	if err == nil || !strings.Contains(err.Error(), `git config --global user.email "you@example.com"`) || !strings.Contains(err.Error(), `user.name "Your Name"`) {
		t.Fatalf("got %v, want git's instructions in full", err)
	}
	for _, call := range stub.Calls() {
		if strings.HasPrefix(call, "heroku apps:") || strings.HasPrefix(call, "heroku config:set") || strings.HasPrefix(call, "git push") {
			t.Errorf("changed something before refusing: %s", call)
		}
	}
}

// A deploy that could not record the app it would create (mcpctl.toml not editable)
// stops before creating it.
func TestDeployCreatesNothingItCannotRecord(t *testing.T) {
	// The record is checked first: only the login check runs.
	c, stub := newStubClient(t)
	stub.On("heroku", []string{"auth:whoami"}, executor.Result{Stdout: []byte("a@b\n")}, nil)
	opts := deployOpts(config.Default("weather"), nil)
	opts.CheckRecord = func(string, []deployers.Setting) error { return errors.New("mcpctl.toml: invalid character") }
	if _, err := deploy(c, opts); err == nil || !strings.Contains(hint(err), "nothing was created") {
		t.Fatalf("got %v", err)
	}
	for _, call := range stub.Calls() {
		if strings.HasPrefix(call, "heroku apps:create") || strings.HasPrefix(call, "heroku config:set") {
			t.Errorf("changed the platform: %s", call)
		}
	}
}

// Keys the app accepts that .env lacks survive a deploy unless DropUnknownKeys.
func TestDeployKeepsUnknownKeys(t *testing.T) {
	for _, drop := range []bool{false, true} {
		c, stub := stubDeploy(t, `[{"type":"web"}]`, twoReleases)
		teammate, _ := keys.Generate()
		f := config.Default("weather")
		f.Deploy.Heroku.App = "weather"
		opts := deployOpts(f, nil)
		stub.On("heroku", []string{"config", "-a"}, executor.Result{Stdout: []byte(`{"MCP_API_KEY_HASHES":"` + keys.Hash(teammate) + `"}`)}, nil)
		opts.DropUnknownKeys = drop
		if _, err := deploy(c, opts); err != nil {
			t.Fatal(err)
		}
		var set string
		for _, call := range stub.Calls() {
			if strings.HasPrefix(call, "heroku config:set") {
				set = call
			}
		}
		if strings.Contains(set, keys.Hash(teammate)) == drop || !strings.Contains(set, keys.Hash(opts.Env["MCP_API_KEY"])) {
			t.Errorf("drop=%v: %s", drop, set)
		}
	}
}

// --yes commits only after the project checks pass: a deploy that doctor stops leaves
// the user's work uncommitted, as it found it.
func TestYesCommitsOnlyAfterTheChecksPass(t *testing.T) {
	c, stub := newStubClient(t)
	stub.On("heroku", []string{"auth:whoami"}, executor.Result{Stdout: []byte("a@b\n")}, nil)
	stubGit(stub, "")
	stubGitIdentity(stub)
	stub.On("git", []string{"-c", "core.quotepath=off", "status"}, executor.Result{Stdout: []byte("?? tools/new.go\n")}, nil)
	f := config.Default("weather")
	f.Deploy.Heroku.App = "weather"
	opts := deployOpts(f, nil)
	opts.Yes = true
	opts.Preflight = func(context.Context) error { return errors.New("doctor: 1 error (test-failed)") }
	if _, err := deploy(c, opts); err == nil || !strings.Contains(err.Error(), "test-failed") {
		t.Fatalf("got %v, want doctor's error", err)
	}
	for _, call := range stub.Calls() {
		if strings.Contains(call, " add ") || strings.Contains(call, " commit ") {
			t.Errorf("committed before the checks passed: %s", call)
		}
	}
}

// Deploy reports the web dynos' type, and warns that eco dynos sleep.
func TestDeployReportsTheDynoType(t *testing.T) {
	for _, size := range []string{"Basic", "Eco"} {
		c, stub := stubDeploy(t, `[{"type":"web","name":"web.1","size":"`+size+`"}]`, twoReleases)
		stubVerify(stub)
		f := config.Default("weather")
		f.Deploy.Heroku.App = "weather"
		opts := deployOpts(f, func(context.Context, string) error { return nil })
		var msgs []string
		opts.Progress = func(e deployers.Event) { msgs = append(msgs, e.Message) }
		res, err := deploy(c, opts)
		if err != nil {
			t.Fatal(err)
		}
		all := strings.Join(msgs, "\n")
		if res.InstanceType != size || !strings.Contains(all, "web dynos: 1 × "+size) {
			t.Errorf("%s: dyno type %q, messages:\n%s", size, res.InstanceType, all)
		}
		if warned := strings.Contains(all, "ps:type web=basic"); warned != (size == "Eco") {
			t.Errorf("%s: eco warning %v, messages:\n%s", size, warned, all)
		}
	}
}
