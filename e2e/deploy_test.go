package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpctl/mcpctl/keys"
)

// fakeHerokuPath builds the fake heroku CLI once and returns a directory to put first on PATH.
func fakeHerokuPath(t *testing.T) string { return fakeBin(t, "heroku") }

// fakeHeroku is one test's fake Heroku.
type fakeHeroku struct{ fakePlatform[fakeState] }

type fakeState struct {
	LoggedIn bool                       `json:"logged_in"`
	Email    string                     `json:"email"`
	Taken    []string                   `json:"taken,omitempty"`
	Fail     map[string]string          `json:"fail,omitempty"`
	Apps     map[string]json.RawMessage `json:"apps,omitempty"`
	Calls    int                        `json:"calls,omitempty"`
	FaultAt  int                        `json:"fault_at,omitempty"`
	Fault    string                     `json:"fault,omitempty"`
}

type fakeApp struct {
	Config   map[string]string `json:"config"`
	Releases []struct {
		Version     int    `json:"version"`
		Description string `json:"description"`
	} `json:"releases"`
	PID  int `json:"pid"`
	Port int `json:"port"`
}

func newFakeHeroku(t *testing.T, st fakeState) *fakeHeroku {
	t.Helper()
	return &fakeHeroku{newFakePlatform(t, "heroku", st, func(st fakeState) (pids []int) {
		for _, raw := range st.Apps {
			var app fakeApp
			_ = json.Unmarshal(raw, &app)
			pids = append(pids, app.PID)
		}
		return pids
	})}
}

func (f *fakeHeroku) app(t *testing.T, name string) *fakeApp {
	t.Helper()
	raw, ok := f.state(t).Apps[name]
	if !ok {
		return nil
	}
	var app fakeApp
	if err := json.Unmarshal(raw, &app); err != nil {
		t.Fatal(err)
	}
	return &app
}

func TestDeployHerokuEndToEnd(t *testing.T) {
	dir := initProject(t, "deploy-demo")
	key := dotenv(t, dir)["MCP_API_KEY"]
	fake := newFakeHeroku(t, fakeState{LoggedIn: true, Email: "dev@example.com"})

	out, errOut, code := mcpctl(t, dir, fake.env, "deploy", "heroku")
	if code != 0 {
		t.Fatalf("deploy exited %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	calls := fake.argv(t)
	for _, want := range []string{
		"auth:whoami",
		"apps:info -a deploy-demo --json",
		"apps:create deploy-demo --region us --json",
		"git:remote -a deploy-demo",
		"config:set MCP_API_KEY_HASHES=" + keys.Hash(key),
		"releases -a deploy-demo --json",
		"ps:wait -a deploy-demo",
	} {
		if !hasCall(calls, want) {
			t.Errorf("no `heroku %s` among:\n%s", want, strings.Join(calls, "\n"))
		}
	}
	if hasCall(calls, "releases:rollback") {
		t.Error("a working release was rolled back")
	}
	for _, c := range calls {
		if strings.Contains(c, key) {
			t.Fatalf("the plaintext key reached the heroku CLI: %s", c)
		}
	}
	app := fake.app(t, "deploy-demo")
	if app.Config["MCP_API_KEY_HASHES"] != keys.Hash(key) || app.Config["MCP_STATELESS"] != "true" || app.Config["MCP_PATH"] != "/mcp" {
		t.Errorf("app config %v", app.Config)
	}
	if _, ok := app.Config["MCP_API_KEY"]; ok {
		t.Error("the app holds a plaintext key")
	}
	if !strings.Contains(out, "Deployed deploy-demo") || !strings.Contains(out, "Verified") {
		t.Errorf("summary:\n%s", out)
	}
	if !strings.Contains(errOut, "Go app detected") {
		t.Errorf("build output not streamed:\n%s", errOut)
	}
	toml, _ := os.ReadFile(filepath.Join(dir, "mcpctl.toml"))
	if !strings.Contains(string(toml), `app = "deploy-demo"`) || !strings.Contains(string(toml), "# Filled in by `mcpctl deploy heroku`.") {
		t.Errorf("app not recorded, or the file's comments lost:\n%s", toml)
	}
	endpoint := fmt.Sprintf("http://127.0.0.1:%d/mcp", app.Port)
	if _, errOut, code := mcpctl(t, dir, nil, "check", endpoint); code != 0 {
		t.Fatalf("check of the deployed app exited %d:\n%s", code, errOut)
	}

	// A second deploy of the same tree changes no config: each change would be a release.
	before := len(fake.argv(t))
	// The deploy committed the app name it recorded: the tree is clean, and a second
	// deploy with no change by the user just works.
	if st := run(t, dir, "git", "status", "--porcelain"); st != "" {
		t.Errorf("the deploy left the tree dirty:\n%s", st)
	}
	if msg := run(t, dir, "git", "log", "-1", "--format=%s"); !strings.Contains(msg, "Record Heroku app deploy-demo in mcpctl.toml") {
		t.Errorf("last commit %q, want the deploy's record of the app", msg)
	}
	if out, errOut, code := mcpctl(t, dir, fake.env, "deploy", "heroku"); code != 0 {
		t.Fatalf("second deploy exited %d\n%s\n%s", code, out, errOut)
	}
	for _, c := range fake.argv(t)[before:] {
		if strings.HasPrefix(c, "config:set") || strings.HasPrefix(c, "apps:create") {
			t.Errorf("second deploy ran `heroku %s`", c)
		}
	}

	// A release that breaks the endpoint but passes every local check (the package main
	// has no tests) is detected after the push, rolled back and reported.
	breakEndpoint(t, dir, "deploy-demo")
	before = len(fake.argv(t))
	out, errOut, code = mcpctl(t, dir, fake.env, "deploy", "heroku")
	if code == 0 {
		t.Fatalf("a broken release deployed with exit 0:\n%s\n%s", out, errOut)
	}
	if !hasCall(fake.argv(t)[before:], "releases:rollback v") || !strings.Contains(errOut, "rolled back to v") {
		t.Fatalf("no rollback:\n%s\n%s", strings.Join(fake.argv(t)[before:], "\n"), errOut)
	}
	if !hasCall(fake.argv(t)[before:], "logs -n 200") {
		t.Error("the logs of the failed release were not shown")
	}
	if _, errOut, code := mcpctl(t, dir, nil, "check", endpoint); code != 0 {
		t.Fatalf("after the rollback the app does not work (exit %d):\n%s", code, errOut)
	}
}

func TestDeployHerokuFailures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		state  fakeState
		args   []string
		prep   func(t *testing.T, dir string)
		stderr string // what the error must say
		never  string // a heroku command that must not have run
	}{
		{name: "not logged in", state: fakeState{}, stderr: "heroku login", never: "apps:create"},
		{name: "name taken", state: fakeState{LoggedIn: true, Taken: []string{"fail-demo"}}, stderr: "--app", never: "config:set"},
		{name: "config:set fails", state: fakeState{LoggedIn: true, Fail: map[string]string{"config:set": " ›   Error: rate limited"}}, stderr: "rate limited"},
		{name: "uncommitted work", state: fakeState{LoggedIn: true}, prep: func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "tools", "new.go"), []byte("package tools\n"), 0o644)
		}, stderr: "uncommitted", never: "apps:create"},
		{name: "does not build locally", state: fakeState{LoggedIn: true}, args: []string{"--yes"}, prep: func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "tools", "broken.go"), []byte("package tools\nfunc {\n"), 0o644)
		}, stderr: "build-failed", never: "apps:create"},
		{name: "auth none", state: fakeState{LoggedIn: true}, args: []string{"--yes"}, prep: func(t *testing.T, dir string) {
			toml := filepath.Join(dir, "mcpctl.toml")
			data, _ := os.ReadFile(toml)
			os.WriteFile(toml, []byte(strings.Replace(string(data), `auth = "apikey"`, `auth = "none"`, 1)), 0o644)
		}, stderr: "auth-none", never: "apps:create"},
		{name: "push rejected", state: fakeState{LoggedIn: true, Fail: map[string]string{"build": "-----> Go app detected\n !     go: toolchain not available"}},
			stderr: "toolchain not available", never: "releases:rollback"},
		{name: "bad flag", state: fakeState{LoggedIn: true}, args: []string{"--region", "asia"}, stderr: "--region", never: "auth:whoami"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := initProject(t, "fail-demo")
			if tc.prep != nil {
				tc.prep(t, dir)
			}
			fake := newFakeHeroku(t, tc.state)
			deployFails(t, dir, fake.fakeCLI, append([]string{"heroku"}, tc.args...), tc.stderr, tc.never)
		})
	}
}

func TestDeployHerokuDryRunChangesNothing(t *testing.T) {
	dir := initProject(t, "dry-demo")
	fake := newFakeHeroku(t, fakeState{LoggedIn: true})
	asks := []string{"auth:whoami", "apps:info"}
	out := deployDryRun(t, dir, fake.fakeCLI, asks, "heroku")
	for _, want := range []string{"heroku apps:create dry-demo", "heroku config:set", "git push heroku HEAD:main"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}

	// --json: one result object on stdout, nothing else.
	out = deployDryRun(t, dir, fake.fakeCLI, asks, "heroku", "--json")
	var res struct {
		App     string   `json:"app"`
		DryRun  bool     `json:"dry_run"`
		Created bool     `json:"created"`
		Planned []string `json:"planned"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if res.App != "dry-demo" || !res.DryRun || !res.Created || len(res.Planned) < 3 {
		t.Errorf("--json result %+v", res)
	}
}

// Without a heroku login (or the CLI), a dry run still shows the plan: the config it
// would set, with key hashes and never a key, and the push; then what is missing.
func TestDeployHerokuDryRunWithoutLoginShowsThePlan(t *testing.T) {
	dir := initProject(t, "offline-demo")
	key := dotenv(t, dir)["MCP_API_KEY"]
	fake := newFakeHeroku(t, fakeState{})
	out, errOut, code := mcpctl(t, dir, fake.env, "deploy", "heroku", "--dry-run")
	if code == 0 {
		t.Fatalf("a dry run without a login exited 0:\n%s\n%s", out, errOut)
	}
	for _, want := range []string{"heroku config:set", "MCP_API_KEY_HASHES=" + keys.Hash(key), "git push heroku HEAD:main"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "not logged in") || !strings.Contains(errOut, "heroku login") {
		t.Errorf("stderr does not name the missing login and its fix:\n%s", errOut)
	}
	if strings.Contains(out+errOut, key) {
		t.Error("the dry run printed the plaintext key")
	}
	if st := run(t, dir, "git", "status", "--porcelain"); st != "" {
		t.Errorf("the dry run changed the project:\n%s", st)
	}
}
