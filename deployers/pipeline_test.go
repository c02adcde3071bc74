package deployers

import (
	"context"
	"errors"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/gitrepo"
	"github.com/mcpctl/mcpctl/internal/executor"
	"github.com/mcpctl/mcpctl/keys"
)

func TestDesiredConfigHoldsOnlyHashes(t *testing.T) {
	k1, _ := keys.Generate()
	k2, _ := keys.Generate()
	f := config.Default("weather")
	want := DesiredConfig(f, map[string]string{"MCP_API_KEY": k1, "MCP_API_KEY_PREVIOUS": k2, "OTHER": "x"})
	if want["MCP_API_KEY_HASHES"] != keys.Hash(k1)+","+keys.Hash(k2) {
		t.Fatalf("hashes %q", want["MCP_API_KEY_HASHES"])
	}
	for k, v := range want {
		if strings.Contains(v, k1) || strings.Contains(v, k2) {
			t.Fatalf("%s carries a plaintext key", k)
		}
	}
	changes := ConfigChanges(map[string]string{"MCP_PATH": "/mcp", "MCP_ALLOWED_ORIGINS": "https://old.example.com"}, want)
	if _, ok := changes["MCP_PATH"]; ok {
		t.Error("an unchanged value would be set again")
	}
	if v, ok := changes["MCP_ALLOWED_ORIGINS"]; !ok || v != "" {
		t.Error("a value that must go is not unset")
	}
}

// fakePlatform is a platform whose releases are named revisions (as Cloud Run's are): it
// records the steps the pipeline takes.
type fakePlatform struct {
	app   string
	steps []string
}

func (f *fakePlatform) Name() string                           { return "fake" }
func (f *fakePlatform) App() string                            { return f.app }
func (f *fakePlatform) WebURL(context.Context) (string, error) { return "https://fake.example/", nil }
func (f *fakePlatform) Config(context.Context) (map[string]string, error) {
	return map[string]string{}, nil
}
func (f *fakePlatform) SetConfig(_ context.Context, vars map[string]string) error {
	f.steps = append(f.steps, "config "+strings.Join(slices.Sorted(maps.Keys(vars)), ","))
	return nil
}
func (f *fakePlatform) Manual() Manual {
	return Manual{Title: "Fake", App: "app", URL: "url", Release: "release", RolledBack: "the app was rolled back to", Logs: "fake logs " + f.app}
}
func (f *fakePlatform) Resolve(context.Context, *config.File, *Target, bool, func(error) error) error {
	return nil
}
func (f *fakePlatform) Records(t Target) []Setting        { return []Setting{{"app", t.App}} }
func (f *fakePlatform) SetTarget(t Target)                { f.app = t.App }
func (f *fakePlatform) SetProgress(func(string))          {}
func (f *fakePlatform) Report(*DeployResult) Report       { return Report{} }
func (f *fakePlatform) PlanRollback(r Release) string     { return "fake rollback " + r.String() }
func (f *fakePlatform) CheckAccess(context.Context) error { return nil }
func (f *fakePlatform) Lookup(context.Context) (*App, error) {
	return &App{Name: f.app, WebURL: "https://fake.example/"}, nil
}
func (f *fakePlatform) CheckApp(*App, *config.File) error           { return nil }
func (f *fakePlatform) Attach(context.Context, *gitrepo.Repo) error { return nil }
func (f *fakePlatform) LastGood(context.Context) (Release, error) {
	return Release{ID: "fake-00004"}, nil
}
func (f *fakePlatform) Push(context.Context, *gitrepo.Repo, io.Writer) error {
	f.steps = append(f.steps, "push")
	return nil
}
func (f *fakePlatform) AwaitRelease(context.Context) (Release, error) {
	return Release{ID: "fake-00005"}, nil
}
func (f *fakePlatform) AwaitInstances(context.Context) error         { return nil }
func (f *fakePlatform) Instances(context.Context) (string, []string) { return "", nil }
func (f *fakePlatform) Logs(context.Context, int) (string, error)    { return "boom", nil }
func (f *fakePlatform) Rollback(_ context.Context, r Release) error {
	f.steps = append(f.steps, "rollback "+r.String())
	return nil
}
func (f *fakePlatform) PlanLookup(string) string            { return "fake lookup" }
func (f *fakePlatform) PlanAttach(*gitrepo.Repo) string     { return "" }
func (f *fakePlatform) PlanConfig(map[string]string) string { return "fake config" }
func (f *fakePlatform) PlanPush(*gitrepo.Repo) string       { return "fake push" }

// The pipeline is the platform's: a release that fails verification is rolled back to
// the platform's last good one, named as the platform names it.
func TestPipelineRollsBackByThePlatformsReleaseName(t *testing.T) {
	stub := executor.NewStub(t)
	git := func(args ...string) []string { return append([]string{"-c", "core.quotepath=off"}, args...) }
	stub.On("git", git("rev-parse", "--show-toplevel"), executor.Result{Stdout: []byte("/repo\n\n")}, nil)
	stub.On("git", git("rev-parse", "--verify"), executor.Result{Stdout: []byte("1111111111111111111111111111111111111111\n")}, nil)
	stub.On("git", git("status"), executor.Result{}, nil)
	// mcpctl.toml records no app of this platform: the deploy would record it, so it
	// checks that git can commit.
	stub.On("git", git("var"), executor.Result{Stdout: []byte("t <t@example.com> 0 +0000\n")}, nil)
	f := config.Default("weather")
	f.Server.Auth = config.AuthNone
	p := &fakePlatform{}
	var events []string
	res, err := Deploy(context.Background(), p, DeployOptions{
		Project: f, App: "weather", Dir: "/repo", Exec: stub,
		Verify:   func(context.Context, string) error { return errors.New("initialize: HTTP 500") },
		Progress: func(e Event) { events = append(events, e.Phase+":"+e.Message) },
	})
	if err == nil || !strings.Contains(err.Error(), "release fake-00005 does not work, so the app was rolled back to fake-00004") {
		t.Fatalf("got %v", err)
	}
	if got := strings.Join(p.steps, " | "); !strings.HasSuffix(got, "push | rollback fake-00004") {
		t.Errorf("steps %s", got)
	}
	if res.Endpoint != "https://fake.example/mcp" || res.Verified {
		t.Errorf("result %+v", res)
	}
	if !slices.Contains(events, "rollback:rolling back to fake-00004") {
		t.Errorf("events %q", events)
	}
}
