package cmd

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mcpctl/mcpctl/internal/executor"
)

func TestScaleFlags(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		web      int
		min, max string // "" for unset
		usage    bool
	}{
		{args: []string{"scale", "heroku", "web=2"}, web: 2},
		{args: []string{"scale", "heroku", "2"}, usage: true},
		{args: []string{"scale", "heroku", "worker=2"}, usage: true},
		{args: []string{"scale", "cloudrun", "--min", "1", "--max", "10"}, min: "1", max: "10"},
		{args: []string{"scale", "cloudrun", "--min", "0"}, min: "0"},
		{args: []string{"scale", "cloudrun"}, usage: true},
		{args: []string{"scale", "cloudrun", "--min", "3", "--max", "2"}, usage: true},
		{args: []string{"scale", "cloudrun", "--max", "0"}, usage: true},
		{args: []string{"scale", "fly"}, usage: true},
	} {
		f, _, _, _ := testFactory(t, t.TempDir())
		var got *scaleOptions
		err := executeWith(t, f, newScaleCmd(f, func(_ context.Context, o *scaleOptions) error { got = o; return nil }), tc.args...)
		if tc.usage {
			if !IsUsageError(err) {
				t.Errorf("%v: got %v, want a usage error", tc.args, err)
			}
			continue
		}
		if err != nil || got == nil {
			t.Errorf("%v: %v", tc.args, err)
			continue
		}
		str := func(p *int) string {
			if p == nil {
				return ""
			}
			return strconv.Itoa(*p)
		}
		if got.Web != tc.web || str(got.Min) != tc.min || str(got.Max) != tc.max {
			t.Errorf("%v: options web %d min %q max %q", tc.args, got.Web, str(got.Min), str(got.Max))
		}
	}
}

const scaleToml = `[project]
name = "weather"

[server]
stateless = %s

[deploy.cloudrun]
service = "weather"
region = "europe-west1"
project = "acme-prod"
`

func scaleProject(t *testing.T, stateless string) string {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mcpctl.toml"), []byte(strings.Replace(scaleToml, "%s", stateless, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A stateful project is refused more than one instance before any platform call (the
// stub fails the test on any command).
func TestScaleRefusesStatefulProject(t *testing.T) {
	for _, args := range [][]string{{"scale", "cloudrun", "--max", "3"}, {"scale", "cloudrun", "--min", "2"}, {"scale", "heroku", "web=2"}} {
		f, _, _, _ := testFactory(t, scaleProject(t, "false"))
		err := execute(t, f, args...)
		if err == nil || !strings.Contains(err.Error(), "stateless = false") || !strings.Contains(hintOfErr(err), "session affinity") {
			t.Errorf("%v: got %v (hint %q)", args, err, hintOfErr(err))
		}
	}
}

// mcpctl.toml may say stateless while the running server is an older, stateful release:
// its /health decides.
func TestScaleAsksTheDeployedServer(t *testing.T) {
	health := `{"status":"ok","stateless":false}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			w.Write([]byte(health))
		}
	}))
	defer srv.Close()
	describe := executor.Result{Stdout: []byte(`{"status":{"url":"` + srv.URL + `","latestCreatedRevisionName":"weather-00001-abc","latestReadyRevisionName":"weather-00001-abc","traffic":[{"revisionName":"weather-00001-abc","percent":100,"latestRevision":true}]}}`)}

	f, _, _, stub := testFactory(t, scaleProject(t, "true"))
	stub.On("gcloud", []string{"run", "services", "describe"}, describe, nil)
	err := execute(t, f, "scale", "cloudrun", "--max", "4")
	if err == nil || !strings.Contains(err.Error(), "/health") {
		t.Fatalf("a stateful running server: got %v", err)
	}

	health = `{"status":"ok","stateless":true}`
	f, out, _, stub := testFactory(t, scaleProject(t, "true"))
	stub.On("gcloud", []string{"run", "services", "describe"}, describe, nil)
	stub.On("gcloud", []string{"run", "services", "update", "weather", "--min-instances=1", "--max-instances=4"}, executor.Result{}, nil)
	if err := execute(t, f, "scale", "cloudrun", "--min", "1", "--max", "4"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "from 1 up to 4 instances") || !strings.Contains(out.String(), "billed while idle") {
		t.Errorf("output:\n%s", out)
	}
}

func hintOfErr(err error) string {
	var h interface{ Hint() string }
	if errors.As(err, &h) {
		return h.Hint()
	}
	return ""
}
