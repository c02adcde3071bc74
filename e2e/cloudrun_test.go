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

// fakeGcloud is one test's fake Google Cloud.
type fakeGcloud struct{ fakePlatform[gcloudState] }

type gcloudState struct {
	Account  string                    `json:"account"`
	Project  string                    `json:"project"`
	Fail     map[string]string         `json:"fail,omitempty"`
	Services map[string]*gcloudService `json:"services,omitempty"`
}

type gcloudService struct {
	Name      string           `json:"name"`
	Port      int              `json:"port"`
	Public    bool             `json:"public"`
	Pinned    string           `json:"pinned"`
	PID       int              `json:"pid"`
	Revisions []gcloudRevision `json:"revisions"`
}

type gcloudRevision struct {
	Name      string            `json:"name"`
	Env       map[string]string `json:"env"`
	Min       int               `json:"min"`
	Max       int               `json:"max"`
	Timeout   int               `json:"timeout"`
	Buildable string            `json:"buildable"`
	Ready     bool              `json:"ready"`
}

func newFakeGcloud(t *testing.T, st gcloudState) *fakeGcloud {
	t.Helper()
	return &fakeGcloud{newFakePlatform(t, "gcloud", st, func(st gcloudState) (pids []int) {
		for _, s := range st.Services {
			pids = append(pids, s.PID)
		}
		return pids
	})}
}

func (f *fakeGcloud) service(t *testing.T, key string) *gcloudService {
	t.Helper()
	return f.state(t).Services[key]
}

// The whole life on Cloud Run, against the fake gcloud: deploy (built the way the
// buildpack builds it, started with PORT), check, keys rotate (one revision holding old
// and new), scale, and a broken release whose traffic goes back to the working revision.
func TestDeployCloudRunEndToEnd(t *testing.T) {
	dir := initProject(t, "run-demo")
	key := dotenv(t, dir)["MCP_API_KEY"]
	fake := newFakeGcloud(t, gcloudState{Account: "dev@example.com", Project: "acme-prod"})

	out, errOut, code := mcpctl(t, dir, fake.env, "deploy", "cloudrun", "--region", "europe-west1")
	if code != 0 {
		t.Fatalf("deploy exited %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	calls := fake.argv(t)
	deploy := ""
	for _, c := range calls {
		if strings.HasPrefix(c, "run deploy ") {
			deploy = c
		}
		if strings.Contains(c, key) {
			t.Fatalf("the plaintext key reached gcloud: %s", c)
		}
	}
	for _, want := range []string{"run deploy run-demo --source=. --set-build-env-vars=GOOGLE_BUILDABLE=./cmd/run-demo --allow-unauthenticated --min-instances=1 --timeout=3600",
		"MCP_API_KEY_HASHES=" + keys.Hash(key), "--region=europe-west1 --project=acme-prod"} {
		if !strings.Contains(deploy, want) {
			t.Errorf("deploy command %q lacks %q", deploy, want)
		}
	}
	svc := fake.service(t, "acme-prod/europe-west1/run-demo")
	if svc == nil || !svc.Public || len(svc.Revisions) != 1 {
		t.Fatalf("service %+v", svc)
	}
	rev := svc.Revisions[0]
	if rev.Env["MCP_API_KEY_HASHES"] != keys.Hash(key) || rev.Env["MCP_STATELESS"] != "true" || rev.Min != 1 || rev.Timeout != 3600 {
		t.Errorf("revision %+v", rev)
	}
	if _, ok := rev.Env["MCP_API_KEY"]; ok {
		t.Error("the service holds a plaintext key")
	}
	if !strings.Contains(out, "Deployed run-demo") || !strings.Contains(out, "Verified") || !strings.Contains(out, "billed while idle") {
		t.Errorf("summary:\n%s", out)
	}
	toml, _ := os.ReadFile(filepath.Join(dir, "mcpctl.toml"))
	for _, want := range []string{`service = "run-demo"`, `region = "europe-west1"`, `project = "acme-prod"`} {
		if !strings.Contains(string(toml), want) {
			t.Errorf("mcpctl.toml lacks %s:\n%s", want, toml)
		}
	}
	if st := run(t, dir, "git", "status", "--porcelain"); st != "" {
		t.Errorf("the deploy left the tree dirty:\n%s", st)
	}
	endpoint := fmt.Sprintf("http://127.0.0.1:%d/mcp", svc.Port)
	if _, errOut, code := mcpctl(t, dir, nil, "check", endpoint); code != 0 {
		t.Fatalf("check of the deployed service exited %d:\n%s", code, errOut)
	}

	// connect finds the service's URL through mcpctl.toml.
	home := t.TempDir()
	connectEnv := append([]string{"HOME=" + home}, fake.env...)
	if out, errOut, code := mcpctl(t, dir, connectEnv, "connect", "cursor", "--target", "deployed", "--scope", "user"); code != 0 || !strings.Contains(out+errOut, endpoint) {
		t.Errorf("connect --target deployed exited %d:\n%s\n%s", code, out, errOut)
	}

	// keys rotate: one revision accepts old and new; both work; the old stays in .env.
	before := len(svc.Revisions)
	if out, errOut, code := mcpctl(t, dir, fake.env, "keys", "rotate"); code != 0 {
		t.Fatalf("keys rotate exited %d\n%s\n%s", code, out, errOut)
	}
	env := dotenv(t, dir)
	newKey := env["MCP_API_KEY"]
	svc = fake.service(t, "acme-prod/europe-west1/run-demo")
	if newKey == key || len(svc.Revisions) != before+1 {
		t.Fatalf("rotation made %d revisions (want 1), key changed: %v", len(svc.Revisions)-before, newKey != key)
	}
	hashes := svc.Revisions[len(svc.Revisions)-1].Env["MCP_API_KEY_HASHES"]
	if !strings.Contains(hashes, keys.Hash(key)) || !strings.Contains(hashes, keys.Hash(newKey)) {
		t.Fatalf("hashes after rotation %q", hashes)
	}
	for _, k := range []string{key, newKey} {
		if _, errOut, code := mcpctl(t, dir, []string{"MCP_API_KEY=" + k}, "check", endpoint); code != 0 {
			t.Fatalf("key %s… refused after rotation:\n%s", k[:8], errOut)
		}
	}
	if out, errOut, code := mcpctl(t, dir, fake.env, "keys", "revoke", "--previous"); code != 0 {
		t.Fatalf("keys revoke exited %d\n%s\n%s", code, out, errOut)
	}
	if _, _, code := mcpctl(t, dir, []string{"MCP_API_KEY=" + key}, "check", endpoint); code == 0 {
		t.Fatal("the revoked key still works")
	}

	// scale: stateless, so several instances are fine.
	if out, errOut, code := mcpctl(t, dir, fake.env, "scale", "cloudrun", "--min", "2", "--max", "5"); code != 0 {
		t.Fatalf("scale exited %d\n%s\n%s", code, out, errOut)
	}
	svc = fake.service(t, "acme-prod/europe-west1/run-demo")
	if last := svc.Revisions[len(svc.Revisions)-1]; last.Min != 2 || last.Max != 5 {
		t.Fatalf("after scale: min %d max %d", last.Min, last.Max)
	}

	// check finds the service through mcpctl.toml; doctor reads its settings and knows
	// Cloud Run's pitfalls (here: scaled to zero).
	if out, errOut, code := mcpctl(t, dir, fake.env, "check", "deployed"); code != 0 || !strings.Contains(errOut, endpoint) {
		t.Fatalf("check deployed exited %d\n%s\n%s", code, out, errOut)
	}
	if out, errOut, code := mcpctl(t, dir, fake.env, "scale", "cloudrun", "--min", "0"); code != 0 || !strings.Contains(out, "scales to zero") {
		t.Fatalf("scale --min 0 exited %d\n%s\n%s", code, out, errOut)
	}
	if out, errOut, _ := mcpctl(t, dir, fake.env, "doctor", "--fast", "--json"); !strings.Contains(out, `"cold-start"`) {
		t.Errorf("doctor does not warn of the cold start:\n%s\n%s", out, errOut)
	}

	// A release that builds and starts but serves the wrong path is caught by verify, and
	// traffic goes back to the revision that worked.
	fix := breakEndpoint(t, dir, "run-demo")
	svc = fake.service(t, "acme-prod/europe-west1/run-demo")
	good := svc.Revisions[len(svc.Revisions)-1].Name
	n := len(fake.argv(t))
	out, errOut, code = mcpctl(t, dir, fake.env, "deploy", "cloudrun", "--verify-timeout", "5s")
	if code == 0 {
		t.Fatalf("a broken release deployed with exit 0:\n%s\n%s", out, errOut)
	}
	if !hasCall(fake.argv(t)[n:], "run services update-traffic run-demo --to-revisions="+good+"=100") || !strings.Contains(errOut, "went back to "+good) {
		t.Fatalf("no rollback to %s:\n%s\n%s", good, strings.Join(fake.argv(t)[n:], "\n"), errOut)
	}
	if !hasCall(fake.argv(t)[n:], "run services logs read run-demo") {
		t.Error("the logs of the failed revision were not shown")
	}
	if _, errOut, code := mcpctl(t, dir, nil, "check", endpoint); code != 0 {
		t.Fatalf("after the rollback the service does not work (exit %d):\n%s", code, errOut)
	}
	// Traffic is pinned now: a key change would go to a revision that serves nothing.
	if _, errOut, code := mcpctl(t, dir, fake.env, "keys", "rotate"); code == 0 || !strings.Contains(errOut, "pinned") {
		t.Fatalf("keys rotate on pinned traffic: exit %d\n%s", code, errOut)
	}
	// The fix deploys, and traffic follows the latest revision again.
	fix()
	if out, errOut, code := mcpctl(t, dir, fake.env, "deploy", "cloudrun"); code != 0 {
		t.Fatalf("fixed deploy exited %d\n%s\n%s", code, out, errOut)
	}
	if svc := fake.service(t, "acme-prod/europe-west1/run-demo"); svc.Pinned != "" {
		t.Fatalf("traffic still pinned to %s", svc.Pinned)
	}
	if out, errOut, code := mcpctl(t, dir, fake.env, "keys", "rotate"); code != 0 {
		t.Fatalf("keys rotate after the fix exited %d\n%s\n%s", code, out, errOut)
	}
}

func TestDeployCloudRunFailures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		state  gcloudState
		args   []string
		stderr string // what the error must say
		never  string // a gcloud command that must not have run
	}{
		{name: "not logged in", state: gcloudState{Project: "acme-prod"}, args: []string{"--region", "us-central1"}, stderr: "gcloud auth login", never: "run deploy"},
		{name: "no project", state: gcloudState{Account: "a@b.c"}, args: []string{"--region", "us-central1"}, stderr: "gcloud config set project", never: "run deploy"},
		{name: "no region", state: gcloudState{Account: "a@b.c", Project: "acme-prod"}, stderr: "--region us-central1", never: "run deploy"},
		{name: "build fails", state: gcloudState{Account: "a@b.c", Project: "acme-prod", Fail: map[string]string{"build": "[builder] go: toolchain not available"}},
			args: []string{"--region", "us-central1"}, stderr: "toolchain not available", never: "run services update-traffic"},
		{name: "revision does not start", state: gcloudState{Account: "a@b.c", Project: "acme-prod", Fail: map[string]string{"start": ""}},
			args: []string{"--region", "us-central1"}, stderr: "is not ready and cannot serve traffic", never: "run services update-traffic"},
		{name: "stateful on several instances", state: gcloudState{Account: "a@b.c", Project: "acme-prod"}, args: []string{"--region", "us-central1", "--max-instances", "3"},
			stderr: "stateless", never: "run deploy"},
		{name: "bad region", state: gcloudState{Account: "a@b.c", Project: "acme-prod"}, args: []string{"--region", "mars"}, stderr: "--region", never: "auth list"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := initProject(t, "fail-demo")
			if tc.name == "stateful on several instances" {
				makeStateful(t, dir)
			}
			fake := newFakeGcloud(t, tc.state)
			deployFails(t, dir, fake.fakeCLI, append([]string{"cloudrun"}, tc.args...), tc.stderr, tc.never)
		})
	}
}

// makeStateful sets stateless = false in the project and commits it.
func makeStateful(t *testing.T, dir string) {
	t.Helper()
	toml := filepath.Join(dir, "mcpctl.toml")
	data, _ := os.ReadFile(toml)
	changed := strings.Replace(string(data), "stateless = true", "stateless = false", 1)
	if changed == string(data) {
		t.Fatalf("no stateless = true in mcpctl.toml:\n%s", data)
	}
	os.WriteFile(toml, []byte(changed), 0o644)
	run(t, dir, "git", "commit", "--quiet", "-am", "Keep sessions")
}

// newCloudRunFaultRig is the fault rig on the fake gcloud: a service with settings only.
func newCloudRunFaultRig(t *testing.T) *faultRig {
	t.Helper()
	dir := t.TempDir()
	key, _ := keys.Generate()
	os.WriteFile(filepath.Join(dir, "mcpctl.toml"), []byte("[project]\nname = \"faults\"\n\n[deploy.cloudrun]\nservice = \"faults\"\nregion = \"us-central1\"\nproject = \"acme-prod\"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, ".env"), []byte("MCP_API_KEY="+key+"\n"), 0o600)
	const id = "acme-prod/us-central1/faults"
	st := gcloudState{Account: "dev@example.com", Project: "acme-prod", Services: map[string]*gcloudService{id: {Name: "faults", Port: 1}}}
	st.Services[id].Revisions = append(st.Services[id].Revisions, gcloudRevision{Name: "faults-00001-fak", Env: map[string]string{keys.HashesEnvVar: keys.Hash(key)}, Min: 1, Max: 100, Timeout: 3600, Ready: true})
	fake := newFakeGcloud(t, st)
	env := append(append([]string(nil), fake.env...), "HOME="+t.TempDir(), "MCPCTL_GCLOUD_TIMEOUT=3s")
	return &faultRig{t: t, dir: dir, env: env, cli: "gcloud", stateFile: filepath.Join(fake.dir, "state.json"),
		hashes: func() string {
			revs := fake.service(t, id).Revisions
			return revs[len(revs)-1].Env[keys.HashesEnvVar]
		},
		argv: func() []string { return fake.argv(t) }}
}

// TestKeyRotationFaultsCloudRun gives Cloud Run the crash-safety of Heroku: a fault in
// each gcloud call of `keys rotate` and `keys rotate --now` (failed before or after it
// applied, mcpctl or gcloud killed before or after, a hang ended by the timeout) leaves
// MCP_API_KEY working, and a plain rerun finishes.
func TestKeyRotationFaultsCloudRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs mcpctl about 120 times")
	}
	r := newCloudRunFaultRig(t)
	// Hangs only at the first 3 calls (each costs the timeout): they are the ones that
	// change the service.
	r.rotateUnderFaults(6, 3, func(name, mode string, _, code int, errOut string) {
		if mode == "hang-before" && code != 124 {
			t.Errorf("%s: exit %d, want 124:\n%s", name, code, errOut)
		}
	})
	r.noPlaintextInArgv()
}

// A dry run asks gcloud only questions, records nothing, and prints its plan as JSON.
func TestDeployCloudRunDryRunChangesNothing(t *testing.T) {
	dir := initProject(t, "dry-run-demo")
	fake := newFakeGcloud(t, gcloudState{Account: "dev@example.com", Project: "acme-prod"})
	out := deployDryRun(t, dir, fake.fakeCLI, []string{"auth list", "config get-value", "run services describe"},
		"cloudrun", "--region", "us-central1", "--min-instances", "0", "--json")
	var res struct {
		DryRun  bool     `json:"dry_run"`
		Planned []string `json:"planned"`
		Service string   `json:"service"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || !res.DryRun || res.Service != "dry-run-demo" {
		t.Fatalf("not the JSON result (%v):\n%s", err, out)
	}
	if plan := strings.Join(res.Planned, "\n"); !strings.Contains(plan, "gcloud run deploy dry-run-demo --source=.") || !strings.Contains(plan, "--min-instances=0") {
		t.Errorf("plan:\n%s", plan)
	}
}

// scale heroku runs ps:scale on the recorded app; a stateful project is refused before
// any heroku call.
func TestScaleHeroku(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "mcpctl.toml"), []byte("[project]\nname = \"scaled\"\n\n[deploy.heroku]\napp = \"scaled\"\n"), 0o644)
	app, _ := json.Marshal(map[string]any{"name": "scaled", "region": "us", "port": 1, "config": map[string]string{}, "web_dynos": 1,
		"releases": []map[string]any{{"version": 1, "description": "Initial release", "config": map[string]string{}}}})
	fake := newFakeHeroku(t, fakeState{LoggedIn: true, Email: "dev@example.com", Apps: map[string]json.RawMessage{"scaled": app}})
	out, errOut, code := mcpctl(t, dir, fake.env, "scale", "heroku", "web=3")
	if code != 0 || !strings.Contains(out, "runs 3 web dyno(s)") || !hasCall(fake.argv(t), "ps:scale web=3 -a scaled") {
		t.Fatalf("exit %d\n%s\n%s\n%v", code, out, errOut, fake.argv(t))
	}
	var st struct {
		WebDynos int `json:"web_dynos"`
	}
	json.Unmarshal(fake.state(t).Apps["scaled"], &st)
	if st.WebDynos != 3 {
		t.Fatalf("web dynos %d", st.WebDynos)
	}

	os.WriteFile(filepath.Join(dir, "mcpctl.toml"), []byte("[project]\nname = \"scaled\"\n\n[server]\nstateless = false\n\n[deploy.heroku]\napp = \"scaled\"\n"), 0o644)
	n := len(fake.argv(t))
	_, errOut, code = mcpctl(t, dir, fake.env, "scale", "heroku", "web=2")
	if code == 0 || !strings.Contains(errOut, "stateless = false") || len(fake.argv(t)) != n {
		t.Fatalf("stateful: exit %d, heroku calls %v\n%s", code, fake.argv(t)[n:], errOut)
	}
}
