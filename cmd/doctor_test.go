package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpctl/mcpctl/internal/executor"
	"github.com/mcpctl/mcpctl/scaffold"
)

// executeDoctor runs `mcpctl doctor …` with the doctor command built around runF.
func executeDoctor(t *testing.T, f *Factory, runF func(context.Context, *doctorOptions) error, args ...string) error {
	t.Helper()
	return executeWith(t, f, newDoctorCmd(f, runF), append([]string{"doctor"}, args...)...)
}

// doctorProject generates a project as `mcpctl init` does, with its first commit, in a
// new directory under parent, and returns the project directory.
func doctorProject(t *testing.T, parent string) string {
	t.Helper()
	dir := filepath.Join(parent, "doc-cmd")
	p := scaffold.Project{Dir: dir, Name: "doc-cmd", Module: "example.com/doc-cmd", Path: "/mcp", Port: 8000, Auth: "apikey", Stateless: true}
	plan, _, err := p.Plan()
	if err != nil {
		t.Fatal(err)
	}
	if err := scaffold.Apply(dir, plan); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"init", "--quiet"}, {"add", "--all"}, {"commit", "--quiet", "--no-verify", "-m", "init"}} {
		c := exec.Command("git", args...)
		c.Dir = dir
		c.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
			"GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull)
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

func TestDoctorFlags(t *testing.T) {
	f, _, _, _ := testFactory(t, t.TempDir())
	var got *doctorOptions
	capture := func(_ context.Context, o *doctorOptions) error { got = o; return nil }
	if err := executeDoctor(t, f, capture, "--json", "--fast", "--dir", "../weather"); err != nil {
		t.Fatal(err)
	}
	if !got.JSON || !got.Fast || got.Dir != "../weather" {
		t.Errorf("options %+v", got)
	}
	if err := executeDoctor(t, f, capture); err != nil {
		t.Fatal(err)
	}
	if got.JSON || got.Fast || got.Dir != "." {
		t.Errorf("defaults %+v", got)
	}
}

func TestDoctorUsageErrors(t *testing.T) {
	cwd := t.TempDir()
	if err := os.WriteFile(filepath.Join(cwd, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"extra"},
		{"--dir", "missing"},
		{"--dir", "file"},
		{"--fast=maybe"},
	} {
		f, _, _, stub := testFactory(t, cwd)
		if err := executeDoctor(t, f, nil, args...); !IsUsageError(err) {
			t.Errorf("%q: got %v, want a usage error", args, err)
		}
		if calls := stub.Calls(); len(calls) > 0 {
			t.Errorf("%q: ran %v", args, calls)
		}
	}
}

// TestDoctorExitStatus runs the real checks (git included) on a generated project: clean,
// the command succeeds; with .env readable by others, it fails with status 1 and, the
// report having said everything, an error main does not print.
func TestDoctorExitStatus(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	dir := doctorProject(t, parent)

	f, out, errOut, _ := testFactory(t, parent)
	f.Executor = executor.System{}
	f.IOStreams.SetTTY(true) // a terminal, but NO_COLOR (the test streams' default)
	if err := executeDoctor(t, f, nil, "--fast", "--dir", "doc-cmd"); err != nil {
		t.Fatalf("clean project: %v\n%s", err, out)
	}
	for _, want := range []string{"Checking " + dir + "\n", "✓ config ", "✓ secrets ", "- build ", "OK no problems found"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out.String(), "\x1b[") || errOut.Len() > 0 {
		t.Errorf("colour or stderr output: %q / %q", out, errOut)
	}

	if err := os.Chmod(filepath.Join(dir, ".env"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, out, _, _ = testFactory(t, dir)
	f.Executor = executor.System{}
	err := executeDoctor(t, f, nil, "--fast")
	var coded interface{ ExitCode() int }
	if !errors.As(err, &coded) || coded.ExitCode() != 1 || !errors.Is(err, ErrSilent) {
		t.Fatalf("got %v, want a silent error with exit status 1", err)
	}
	if !strings.Contains(out.String(), "✗ [env-mode] .env is readable by other users (mode 0644)") || !strings.Contains(out.String(), "fix: chmod 600 .env") {
		t.Errorf("output:\n%s", out)
	}
}

func TestDoctorJSON(t *testing.T) {
	t.Parallel()
	dir := doctorProject(t, t.TempDir())
	if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte("web: bin/other\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, out, _, _ := testFactory(t, dir)
	f.Executor = executor.System{}
	err := executeDoctor(t, f, nil, "--json", "--fast")
	if !errors.Is(err, ErrSilent) {
		t.Fatalf("got %v", err)
	}
	var report struct {
		SchemaVersion int  `json:"schema_version"`
		OK            bool `json:"ok"`
		Findings      []struct {
			ID, Severity, Fix string
		} `json:"findings"`
	}
	if err := json.Unmarshal(out.Bytes(), &report); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, out)
	}
	if report.SchemaVersion != 1 || report.OK || len(report.Findings) != 1 ||
		report.Findings[0].ID != "procfile-binary" || report.Findings[0].Severity != "error" || report.Findings[0].Fix != "set the Procfile's web line to: web: bin/doc-cmd" {
		t.Errorf("report %s", out)
	}
}
