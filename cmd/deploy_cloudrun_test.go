package cmd

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpctl/mcpctl/deployers/cloudrun"
	"github.com/mcpctl/mcpctl/internal/executor"
)

func TestDeployCloudRunFlags(t *testing.T) {
	for _, args := range [][]string{
		{"deploy", "cloudrun", "--region", "mars"},
		{"deploy", "cloudrun", "--project", "X"},
		{"deploy", "cloudrun", "--service", "Bad_Service"},
		{"deploy", "cloudrun", "--min-instances", "3", "--max-instances", "2"},
		{"deploy", "cloudrun", "--min-instances", "-1"},
		{"deploy", "cloudrun", "--timeout", "2h"},
		{"deploy", "cloudrun", "extra"},
		{"deploy", "cloudrun", "--verify-timeout", "-1s"},
		{"deploy", "cloudrn"},
	} {
		f, _, _, _ := testFactory(t, t.TempDir())
		if err := execute(t, f, args...); !IsUsageError(err) {
			t.Errorf("%v: got %v, want a usage error", args, err)
		}
	}
}

// On a terminal the deploy runs behind the progress view; a failure comes back as the
// deploy's error, and the view shows which phase failed.
func TestDeployCloudRunTerminalView(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "mcpctl.toml"), []byte("[project]\nname = \"view-demo\"\n"), 0o644)
	f, _, errOut, stub := testFactory(t, dir)
	f.IOStreams.SetTTY(true)
	stub.On("gcloud", []string{"auth", "list"}, executor.Result{Stdout: []byte(`[]`)}, nil)
	err := execute(t, f, "deploy", "cloudrun", "--region", "us-central1")
	if !errors.Is(err, cloudrun.ErrNotLoggedIn) {
		t.Fatalf("got %v, want not logged in", err)
	}
	if !strings.Contains(errOut.String(), "✗ preflight") {
		t.Errorf("view does not show the failed phase:\n%s", errOut)
	}
}
