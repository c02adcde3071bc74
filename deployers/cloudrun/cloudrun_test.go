package cloudrun

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/deployers"
	"github.com/mcpctl/mcpctl/internal/executor"
	"github.com/mcpctl/mcpctl/keys"
)

func newStubClient(t *testing.T) (*Client, *executor.Stub) {
	stub := executor.NewStub(t)
	return &Client{Exec: stub, Dir: "/proj", Service: "weather", Region: "europe-west1", Project: "acme-prod"}, stub
}

const describeJSON = `{"apiVersion":"serving.knative.dev/v1","kind":"Service",
 "spec":{"template":{"metadata":{"annotations":{"autoscaling.knative.dev/minScale":"1","autoscaling.knative.dev/maxScale":"20"}},
   "spec":{"timeoutSeconds":3600,"containers":[{"image":"x","env":[{"name":"MCP_PATH","value":"/mcp"},{"name":"MCP_API_KEY_HASHES","value":"a,b"}]}]}}},
 "status":{"url":"https://weather-abc123-ew.a.run.app","latestReadyRevisionName":"weather-00003-xyz","latestCreatedRevisionName":"weather-00003-xyz",
   "traffic":[{"revisionName":"weather-00002-abc","percent":100}]}}`

func TestDescribeParsesKnativeService(t *testing.T) {
	c, stub := newStubClient(t)
	stub.On("gcloud", []string{"run", "services", "describe"}, executor.Result{Stdout: []byte(describeJSON)}, nil)
	s, err := c.Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.URL != "https://weather-abc123-ew.a.run.app" || s.Serving != "weather-00002-abc" || s.OnLatest || s.LatestReady != "weather-00003-xyz" ||
		s.Env["MCP_API_KEY_HASHES"] != "a,b" || s.Min != 1 || s.Max != 20 || s.Timeout != 3600 {
		t.Fatalf("service %+v", s)
	}
	if got := stub.Calls(); got[0] != "gcloud run services describe weather --format=json --region=europe-west1 --project=acme-prod" {
		t.Fatalf("calls %v", got)
	}
}

func TestErrorsAreClassified(t *testing.T) {
	c, stub := newStubClient(t)
	stub.On("gcloud", []string{"auth", "list"}, executor.Result{Stdout: []byte(`[{"account":"a@b.c","status":""}]`)}, nil)
	stub.On("gcloud", []string{"run", "services", "describe"}, executor.Result{}, &executor.ExitError{ExitCode: 1, Stderr: []byte("ERROR: (gcloud.run.services.describe) Cannot find service [weather]")})
	stub.On("gcloud", []string{"run", "services", "logs"}, executor.Result{}, &executor.ExitError{ExitCode: 1, Stderr: []byte("ERROR: (gcloud.run.services.logs.read) The required property [project] is not currently set.")})
	ctx := context.Background()
	if _, err := c.Account(ctx); !errors.Is(err, ErrNotLoggedIn) || !strings.Contains(deployers.HintOf(err), "gcloud auth login") {
		t.Errorf("account: %v", err)
	}
	if _, err := c.Describe(ctx); !errors.Is(err, ErrServiceNotFound) || !strings.Contains(deployers.HintOf(err), "gcloud run services list") {
		t.Errorf("describe: %v", err)
	}
	if _, err := c.Logs(ctx, 10); !errors.Is(err, ErrNoProject) || !strings.Contains(deployers.HintOf(err), "--project") {
		t.Errorf("logs: %v", err)
	}
	stub.Missing = []string{"gcloud"}
	if err := c.CheckInstalled(); !errors.Is(err, ErrNotInstalled) || !strings.Contains(deployers.HintOf(err), "cloud.google.com/sdk") {
		t.Errorf("installed: %v", err)
	}
}

// Key hashes and origins hold commas, gcloud's list separator: the list is escaped with
// a delimiter no value holds, and unset values are removed in the same revision.
func TestEnvFlagsEscapeCommas(t *testing.T) {
	got := EnvFlags(map[string]string{"MCP_API_KEY_HASHES": "h1,h2", "MCP_PATH": "/mcp", "MCP_ALLOWED_ORIGINS": ""})
	want := []string{"--update-env-vars=^|^MCP_API_KEY_HASHES=h1,h2|MCP_PATH=/mcp", "--remove-env-vars=MCP_ALLOWED_ORIGINS"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("got %v, want %v", got, want)
	}
	if got := EnvFlags(map[string]string{"A": "1", "B": "2"}); got[0] != "--update-env-vars=A=1,B=2" {
		t.Fatalf("plain list %v", got)
	}
	if got := EnvFlags(map[string]string{"A": "x|y,z", "B": "q;r"}); got[0] != "--update-env-vars=^@^A=x|y,z@B=q;r" {
		t.Fatalf("delimiter in a value: %v", got)
	}
}

// After a rollback traffic is pinned: a config change would make a revision that serves
// nothing, so keys would not reach the service. It is refused with the way out.
func TestSetConfigRefusesPinnedTraffic(t *testing.T) {
	c, stub := newStubClient(t)
	stub.On("gcloud", []string{"run", "services", "describe"}, executor.Result{Stdout: []byte(describeJSON)}, nil)
	err := c.SetConfig(context.Background(), map[string]string{"MCP_API_KEY_HASHES": "x"})
	if !errors.Is(err, ErrPinned) || !strings.Contains(deployers.HintOf(err), "--to-latest") {
		t.Fatalf("got %v", err)
	}
	for _, call := range stub.Calls() {
		if strings.Contains(call, "services update ") {
			t.Fatalf("changed the service: %s", call)
		}
	}
}

// noGcloud is a machine without gcloud: git runs for real.
type noGcloud struct{ executor.System }

func (noGcloud) LookPath(name string) (string, error) {
	if name == "gcloud" {
		return "", &executor.NotFoundError{Name: name}
	}
	return exec.LookPath(name)
}

// A dry run without gcloud shows the whole plan (key hashes, never a key), changes
// nothing, and then says what is missing.
func TestDryRunWithoutGcloud(t *testing.T) {
	dir := t.TempDir()
	f := config.Default("weather")
	f.Server.AllowedOrigins = []string{"https://a.example.com", "https://b.example.com"}
	for _, args := range [][]string{{"init", "-q"}, {"-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "first"}} {
		if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	key, _ := keys.Generate()
	c := &Client{Exec: noGcloud{}, Dir: dir, MinInstances: 1}
	res, err := deploy(c, deployers.DeployOptions{Project: f, Env: map[string]string{"MCP_API_KEY": key}, Region: "europe-west1", PlatformProject: "acme-prod",
		DryRun: true, Verify: func(context.Context, string) error { return nil }})
	if !errors.Is(err, ErrNotInstalled) || !strings.Contains(deployers.HintOf(err), "cloud.google.com/sdk") {
		t.Fatalf("err %v", err)
	}
	plan := strings.Join(res.Planned, "\n")
	for _, want := range []string{
		"gcloud run deploy weather --source=. --set-build-env-vars=GOOGLE_BUILDABLE=./cmd/weather --allow-unauthenticated --min-instances=1 --timeout=3600",
		"MCP_API_KEY_HASHES=" + keys.Hash(key), "MCP_ALLOWED_ORIGINS=https://a.example.com,https://b.example.com",
		"--region=europe-west1 --project=acme-prod", "record [deploy.cloudrun]", "mcpctl check <service url>/mcp",
	} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan lacks %q:\n%s", want, plan)
		}
	}
	if strings.Contains(plan, key) {
		t.Fatalf("the plan holds the plaintext key:\n%s", plan)
	}
	if _, err := os.Stat(dir + "/mcpctl.toml"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a dry run wrote mcpctl.toml: %v", err)
	}
}

// A stateful project is refused on several instances, and otherwise capped at one.
func TestStatefulIsKeptOnOneInstance(t *testing.T) {
	f := config.Default("weather")
	f.Server.Stateless = false
	c := &Client{Exec: noGcloud{}, Dir: t.TempDir(), MaxInstances: 3}
	_, err := deploy(c, deployers.DeployOptions{Project: f, Region: "europe-west1", PlatformProject: "acme-prod", DryRun: true})
	if err == nil || !strings.Contains(err.Error(), "stateless = false") || !strings.Contains(deployers.HintOf(err), "session affinity") {
		t.Fatalf("err %v", err)
	}
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// Every gcloud command line the client sends must exist in the real Google Cloud CLI:
// each command and every flag is looked up in its own --help, which works offline.
// .ci/run sets MCPCTL_GCLOUD_CLI where gcloud is installed.
func TestCommandLinesMatchTheRealGcloud(t *testing.T) {
	cli := os.Getenv("MCPCTL_GCLOUD_CLI")
	if cli == "" {
		t.Skip("set MCPCTL_GCLOUD_CLI to a gcloud executable (the Google Cloud CLI) to run this check")
	}
	if testing.Short() {
		t.Skip("gcloud --help takes seconds per command")
	}
	c, stub := newStubClient(t)
	stub.On("gcloud", nil, executor.Result{Stdout: []byte(`[]`)}, nil)
	stub.On("gcloud", []string{"run", "services", "describe"}, executor.Result{Stdout: []byte(strings.Replace(describeJSON, `"percent":100}`, `"percent":100,"latestRevision":true}`, 1))}, nil)
	ctx := context.Background()
	_, _ = c.Account(ctx)
	_, _ = c.ConfiguredProject(ctx)
	_, _ = c.Describe(ctx)
	_ = c.SetConfig(ctx, map[string]string{"A": "1,2", "B": ""})
	_ = c.RouteTo(ctx, "weather-00002-abc")
	_ = c.RouteToLatest(ctx)
	_, _ = c.Logs(ctx, 50)
	one, three := 1, 3
	_ = c.Scale(ctx, &one, &three)
	_ = c.DeploySource(ctx, SourceDeploy{Buildable: "./cmd/weather", Env: map[string]string{"MCP_PATH": "/mcp", "X": ""}, MinInstances: 1, MaxInstances: 1, Timeout: DefaultRequestTimeout}, nil)

	helps := map[string]string{}
	for _, cmd := range stub.Calls() {
		args := strings.Fields(cmd)[1:]
		var words []string
		for _, a := range args {
			if strings.HasPrefix(a, "-") {
				break
			}
			if a == c.Service || a == "project" { // positional arguments
				continue
			}
			words = append(words, a)
		}
		name := strings.Join(words, " ")
		help, ok := helps[name]
		if !ok {
			h := exec.Command(cli, append(words, "--help")...)
			h.Env = append(os.Environ(), "CLOUDSDK_CORE_DISABLE_PROMPTS=1", "CLOUDSDK_CONFIG="+t.TempDir())
			out, err := h.CombinedOutput()
			help = ansi.ReplaceAllString(string(out), "")
			if err != nil || !strings.Contains(help, "gcloud "+name+" -") {
				t.Errorf("gcloud has no command %q: %v\n%s", name, err, help)
			}
			helps[name] = help
		}
		for _, a := range args {
			flag, _, _ := strings.Cut(a, "=")
			if !strings.HasPrefix(flag, "--") {
				continue
			}
			re := regexp.MustCompile(`(` + regexp.QuoteMeta(flag) + `|--\[no-\]` + regexp.QuoteMeta(strings.TrimPrefix(flag, "--")) + `)[=\],. \n]`)
			if !re.MatchString(help) {
				t.Errorf("gcloud %s has no flag %s", name, flag)
			}
		}
	}
	if regexp.MustCompile(`--no-such-flag[=\],. \n]`).MatchString(helps["run deploy"]) {
		t.Error("the check would accept any flag")
	}
	if len(helps) < 7 {
		t.Errorf("checked only %d commands: %v", len(helps), helps)
	}
}
