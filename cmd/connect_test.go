package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/connect"
	"github.com/mcpctl/mcpctl/internal/executor"
)

// executeConnect runs `mcpctl connect …` with the connect command built around runF.
func executeConnect(t *testing.T, f *Factory, runF func(context.Context, *connectOptions) error, args ...string) error {
	t.Helper()
	return executeWith(t, f, newConnectCmd(f, runF), append([]string{"connect"}, args...)...)
}

// connectProject is a project directory with mcpctl.toml and .env, and a fake home.
func connectProject(t *testing.T, toml string) (f *Factory, out, errOut *bytes.Buffer, proj, home string) {
	t.Helper()
	dir := t.TempDir()
	proj, home = filepath.Join(dir, "demo"), filepath.Join(dir, "home")
	for _, d := range []string{proj, home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if toml != "" {
		if err := os.WriteFile(filepath.Join(proj, config.FileName), []byte(toml), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(proj, ".env"), []byte("MCP_API_KEY=mcpk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, out, errOut, _ = testFactory(t, proj)
	f.Getenv = func(k string) string {
		if k == "HOME" {
			return home
		}
		return ""
	}
	f.Executable = func() (string, error) { return "/usr/local/bin/mcpctl", nil }
	return f, out, errOut, proj, home
}

const demoToml = `[project]
name = "demo"

[server]
path = "/mcp"
port = 8123
auth = "apikey"
`

func TestConnectFlags(t *testing.T) {
	f, _, _, _, _ := connectProject(t, demoToml)
	var got *connectOptions
	runF := func(_ context.Context, o *connectOptions) error { got = o; return nil }
	err := executeConnect(t, f, runF, "claude-desktop", "--target", "deployed", "--scope", "user", "--name", "prod",
		"--via", "mcp-remote", "--key-env", "PROD_KEY", "--dry-run", "--json", "--auth", "oauth")
	if err != nil {
		t.Fatal(err)
	}
	if got.Client != "claude-desktop" || got.Target != "deployed" || got.Scope != "user" || got.Name != "prod" ||
		got.Via != "mcp-remote" || got.KeyEnv != "PROD_KEY" || !got.DryRun || !got.JSON || got.Auth != "oauth" {
		t.Errorf("options %+v", got)
	}
	if err := executeConnect(t, f, runF, "--list"); err != nil || !got.List {
		t.Errorf("--list: %v %+v", err, got)
	}
	if err := executeConnect(t, f, runF, "cursor"); err != nil || got.KeyEnv != "MCP_API_KEY" || got.Remove {
		t.Errorf("defaults: %v %+v", err, got)
	}
}

func TestConnectUsageErrors(t *testing.T) {
	f, _, _, _, _ := connectProject(t, demoToml)
	for _, args := range [][]string{
		{},
		{"emacs"},
		{"cursor", "vscode"},
		{"cursor", "--list"},
		{"cursor", "--scope", "global"},
		{"cursor", "--via", "mcp-remote"},
		{"claude-desktop", "--via", "ssh"},
		{"cursor", "--auth", "basic"},
		{"cursor", "--name", "bad name"},
		{"cursor", "--remove", "--target", "local"},
	} {
		err := executeConnect(t, f, func(context.Context, *connectOptions) error { return nil }, args...)
		if !IsUsageError(err) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
}

func TestConnectWritesAndReports(t *testing.T) {
	f, out, _, proj, _ := connectProject(t, demoToml)
	if err := executeConnect(t, f, nil, "cursor"); err != nil {
		t.Fatal(err)
	}
	want := `cursor (project): created .cursor/mcp.json (entry "demo" → http://127.0.0.1:8123/mcp)`
	if !strings.Contains(out.String(), want) || !strings.Contains(out.String(), "export MCP_API_KEY") {
		t.Errorf("output:\n%s", out)
	}
	data, err := os.ReadFile(filepath.Join(proj, ".cursor", "mcp.json"))
	if err != nil || !strings.Contains(string(data), `"x-api-key": "${env:MCP_API_KEY}"`) {
		t.Fatalf("file: %s %v", data, err)
	}

	out.Reset()
	if err := executeConnect(t, f, nil, "cursor"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "already up to date") {
		t.Errorf("second run:\n%s", out)
	}

	out.Reset()
	if err := executeConnect(t, f, nil, "cursor", "--target", "https://demo.example.com/mcp", "--dry-run"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "would be updated") || !strings.Contains(out.String(), `+      "url": "https://demo.example.com/mcp",`) {
		t.Errorf("dry run:\n%s", out)
	}
	if again, _ := os.ReadFile(filepath.Join(proj, ".cursor", "mcp.json")); !bytes.Equal(again, data) {
		t.Error("dry run wrote the file")
	}

	out.Reset()
	if err := executeConnect(t, f, nil, "cursor", "--remove"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "removed from .cursor/mcp.json") {
		t.Errorf("remove:\n%s", out)
	}
}

func TestConnectClaudeDesktopAndJSON(t *testing.T) {
	f, out, _, proj, home := connectProject(t, demoToml)
	if err := executeConnect(t, f, nil, "claude-desktop", "--json"); err != nil {
		t.Fatal(err)
	}
	var report connect.Report
	if err := json.Unmarshal(out.Bytes(), &report); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if len(report.Results) != 1 || report.Results[0].Action != connect.Created || report.Results[0].Scope != connect.ScopeUser {
		t.Fatalf("report %+v", report)
	}
	entry, path, err := connect.Lookup(connect.Request{Client: connect.ClaudeDesktop, Name: "demo", Env: connect.Env{GOOS: runtime.GOOS, Home: home}})
	if err != nil || entry == nil {
		t.Fatalf("Lookup: %v %v", entry, err)
	}
	args, _ := entry["args"].([]any)
	if entry["command"] != "/usr/local/bin/mcpctl" || len(args) != 6 || args[5] != filepath.Join(proj, ".env") {
		t.Errorf("entry %v in %s", entry, path)
	}
	if data, _ := os.ReadFile(path); bytes.Contains(data, []byte("mcpk_")) {
		t.Error("the bridge entry holds the key")
	}

	// mcp-remote needs the key itself; it comes from the project's .env.
	out.Reset()
	if err := executeConnect(t, f, nil, "claude-desktop", "--via", "mcp-remote"); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); !bytes.Contains(data, []byte("mcpk_AAAA")) {
		t.Errorf("mcp-remote entry lacks the key:\n%s", data)
	}
	if !strings.Contains(out.String(), "plaintext") {
		t.Errorf("no plaintext warning:\n%s", out)
	}
}

func TestConnectListAndAll(t *testing.T) {
	f, out, _, _, home := connectProject(t, demoToml)
	for _, d := range []string{".cursor", ".gemini"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := executeConnect(t, f, nil, "all"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cursor (project): created", "gemini (project): created", "claude-ai"} {
		if strings.Contains(want, "claude-ai") {
			if strings.Contains(out.String(), want) {
				t.Errorf("all included claude-ai:\n%s", out)
			}
			continue
		}
		if !strings.Contains(out.String(), want) {
			t.Errorf("all: missing %q:\n%s", want, out)
		}
	}

	out.Reset()
	if err := executeConnect(t, f, nil, "--list", "--json"); err != nil {
		t.Fatal(err)
	}
	var statuses []connect.Status
	if err := json.Unmarshal(out.Bytes(), &statuses); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	configured := map[string]bool{}
	for _, st := range statuses {
		configured[string(st.Client)+"/"+string(st.Scope)] = st.Configured
	}
	if !configured["cursor/project"] || !configured["gemini/project"] || configured["vscode/project"] {
		t.Errorf("list: %v", configured)
	}

	out.Reset()
	if err := executeConnect(t, f, nil, "--list"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "configured (demo)") || !strings.Contains(out.String(), ".cursor/mcp.json") {
		t.Errorf("list:\n%s", out)
	}
}

func TestConnectTargets(t *testing.T) {
	f, out, _, _, _ := connectProject(t, demoToml+"\n[deploy.heroku]\napp = \"demo-app\"\n")
	stub := f.Executor.(*executor.Stub)
	stub.On("heroku", []string{"apps:info", "-a", "demo-app", "--json"}, executor.Result{
		Stdout: []byte(`{"app":{"name":"demo-app","web_url":"https://demo-app-1a2b3c4d5e6f.herokuapp.com/"},"dynos":[]}`),
	}, nil)
	if err := executeConnect(t, f, nil, "claude-code"); err != nil {
		t.Fatal(err)
	}
	if u := stub.Unused(); len(u) > 0 {
		t.Errorf("the web URL was not read from heroku: %v", u)
	}
	if !strings.Contains(out.String(), "→ https://demo-app-1a2b3c4d5e6f.herokuapp.com/mcp") {
		t.Errorf("a deployed project connects to its app by default:\n%s", out)
	}

	// No way to look the URL up: say how to pass it.
	err := executeConnect(t, f, func(ctx context.Context, o *connectOptions) error {
		o.DeployedURL = nil
		return runConnect(ctx, o)
	}, "claude-code", "--target", "deployed")
	var h Hinter
	if !errors.As(err, &h) || !strings.Contains(h.Hint(), "--target https://") {
		t.Errorf("err = %v", err)
	}
	// The platform's failure is the command's.
	err = executeConnect(t, f, func(ctx context.Context, o *connectOptions) error {
		o.DeployedURL = func(context.Context, *config.File) (string, error) { return "", errors.New("heroku: not logged in") }
		return runConnect(ctx, o)
	}, "claude-code", "--target", "deployed")
	if err == nil || !strings.Contains(err.Error(), "not logged in") {
		t.Errorf("err = %v", err)
	}

	// Outside a project: a URL and a name are needed.
	g, out2, _, _, _ := connectProject(t, "")
	if err := executeConnect(t, g, nil, "cursor", "--target", "https://x.example.com/mcp"); !IsUsageError(err) {
		t.Errorf("no name: %v", err)
	}
	if err := executeConnect(t, g, nil, "cursor", "--target", "local", "--name", "x"); !IsUsageError(err) {
		t.Errorf("local outside a project: %v", err)
	}
	if err := executeConnect(t, g, nil, "cursor", "--target", "https://x.example.com/mcp", "--name", "x"); err != nil {
		t.Errorf("URL and name: %v", err)
	}
	if !strings.Contains(out2.String(), "created .cursor/mcp.json") {
		t.Errorf("output:\n%s", out2)
	}
}

func TestConnectClaudeAISteps(t *testing.T) {
	f, out, _, _, _ := connectProject(t, demoToml)
	err := executeConnect(t, f, nil, "claude-ai")
	if err == nil || !strings.Contains(err.Error(), "https") {
		t.Errorf("local target for claude.ai: %v", err)
	}
	if err := executeConnect(t, f, nil, "claude-ai", "--target", "https://demo.example.com/mcp"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "1. Open https://claude.ai/settings/connectors") {
		t.Errorf("steps:\n%s", out)
	}
}

// A dev server started with `mcpctl dev --port N` is connected with --port N; without it
// the entry names mcpctl.toml's port.
func TestConnectLocalPort(t *testing.T) {
	f, out, _, proj, _ := connectProject(t, demoToml)
	if err := executeConnect(t, f, nil, "cursor", "--port", "9001"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(proj, ".cursor", "mcp.json"))
	if !strings.Contains(string(data), `"http://127.0.0.1:9001/mcp"`) || !strings.Contains(out.String(), "→ http://127.0.0.1:9001/mcp") {
		t.Errorf("--port 9001 wrote:\n%s\n%s", data, out)
	}
	for _, args := range [][]string{{"cursor", "--port", "70000"}, {"cursor", "--port", "9001", "--target", "deployed"}} {
		if err := executeConnect(t, f, nil, args...); !IsUsageError(err) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}

// --list from the home directory: user files read as ~/…, never as relative paths that
// look like project files; one header, every column aligned (claude-ai's too).
func TestConnectListFromHome(t *testing.T) {
	f, out, _, _, home := connectProject(t, "")
	f.Getwd = func() (string, error) { return home, nil }
	if err := os.MkdirAll(filepath.Join(home, ".cursor"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := executeConnect(t, f, nil, "--list"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if !strings.HasPrefix(lines[0], "CLIENT") || !strings.Contains(lines[0], "FILE") {
		t.Fatalf("no header:\n%s", out)
	}
	col := strings.Index(lines[0], "FILE")
	for _, l := range lines[1:] {
		if len(l) <= col || l[col-1] != ' ' || l[col] == ' ' {
			t.Errorf("FILE column not at %d in %q", col, l)
		}
		if strings.Contains(l, " user ") && !strings.Contains(l, "~/") && !strings.HasSuffix(l, "-") && !strings.Contains(l, " /") {
			t.Errorf("user-scope file not shown as ~/… or absolute: %q", l)
		}
	}
	if !strings.Contains(out.String(), "~/.cursor/mcp.json") {
		t.Errorf("list:\n%s", out)
	}
}
