package cmd

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpctl/mcpctl/deployers/heroku"
	"github.com/mcpctl/mcpctl/internal/executor"
)

func TestDeployHerokuFlags(t *testing.T) {
	for _, args := range [][]string{
		{"deploy", "heroku", "--region", "asia"},
		{"deploy", "heroku", "--app", "Bad App"},
		{"deploy", "heroku", "extra"},
		{"deploy", "fly"},
		{"deploy"},
	} {
		f, _, _, _ := testFactory(t, t.TempDir())
		if err := execute(t, f, args...); !IsUsageError(err) {
			t.Errorf("%v: got %v, want a usage error", args, err)
		}
	}
}

// On a terminal the deploy runs behind the progress view; a failure still comes back as
// the deploy's error, and the view shows which phase failed.
func TestDeployHerokuTerminalView(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "mcpctl.toml"), []byte("[project]\nname = \"view-demo\"\n"), 0o644)
	f, _, errOut, stub := testFactory(t, dir)
	f.IOStreams.SetTTY(true)
	notLoggedIn := &executor.ExitError{ExitCode: 100, Stderr: []byte("not logged in")}
	stub.On("heroku", []string{"auth:whoami"}, executor.Result{}, notLoggedIn)
	stub.On("heroku", []string{"apps:info"}, executor.Result{}, notLoggedIn) // the plan still asks about the app
	err := execute(t, f, "deploy", "heroku")
	if !errors.Is(err, heroku.ErrNotLoggedIn) {
		t.Fatalf("got %v, want not logged in", err)
	}
	if !strings.Contains(errOut.String(), "✗ preflight") {
		t.Errorf("view does not show the failed phase:\n%s", errOut)
	}
}
