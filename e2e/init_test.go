package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpctl/mcpctl/keys"
)

// TestInitBuildServe is the foundation's promise: a generated project builds, passes its
// own tests, and serves authenticated MCP over Streamable HTTP exactly as the Procfile
// starts it, then exits 0 on SIGTERM.
func TestInitBuildServe(t *testing.T) {
	dir := initProject(t, "weather-demo")

	// The key is in .env, mode 0600, and in no commit.
	key := dotenv(t, dir)["MCP_API_KEY"]
	if !keys.LooksLikeKey(key) {
		t.Fatalf(".env holds %q, not an mcpctl key", key)
	}
	if st, _ := os.Stat(filepath.Join(dir, ".env")); st.Mode().Perm() != 0o600 {
		t.Errorf(".env mode %o, want 600", st.Mode().Perm())
	}
	if log := run(t, dir, "git", "log", "--oneline"); !strings.Contains(log, "Initial commit") {
		t.Errorf("no first commit: %q", log)
	}
	if tracked := run(t, dir, "git", "ls-files"); strings.Contains(tracked, ".env\n") || strings.Contains(tracked, key) {
		t.Errorf(".env is tracked:\n%s", tracked)
	}
	if history := run(t, dir, "git", "log", "-p", "--all"); strings.Contains(history, key) {
		t.Error("the API key is in git history")
	}
	if st := run(t, dir, "git", "status", "--porcelain"); st != "" {
		t.Errorf("work tree not clean after init:\n%s", st)
	}

	run(t, dir, "go", "build", "-o", "bin/", "./...")
	run(t, dir, "go", "vet", "./...")
	run(t, dir, "go", "test", "./...")

	srv := startServer(t, dir, "MCP_API_KEY="+key)
	endpoint := srv.url + "/mcp"

	// No key: 401 with a JSON body and WWW-Authenticate.
	resp, err := http.Post(endpoint, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]string
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" || body["error"] == "" {
		t.Errorf("no key: status %d, WWW-Authenticate %q, body %v", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
	}
	if _, err := connect(t, endpoint, nil); err == nil {
		t.Error("an MCP client without a key could connect")
	}

	// /health answers without a key.
	resp, err = http.Get(srv.url + "/health")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || body["status"] != "ok" || body["name"] != "weather-demo" {
		t.Errorf("/health: %d %v", resp.StatusCode, body)
	}

	// With the key, a real client initializes, lists both tools and calls say_hello.
	cs, err := connect(t, endpoint, http.Header{"X-Api-Key": {key}})
	if err != nil {
		t.Fatalf("connect with key: %v\n%s", err, srv.stderr.String())
	}
	if got := cs.InitializeResult().ServerInfo.Name; got != "weather-demo" {
		t.Errorf("server name %q", got)
	}
	ctx := context.Background()
	if names := toolNames(t, cs); !names["say_hello"] || !names["get_weather"] || !names["long_task"] || len(names) != 3 {
		t.Errorf("tools %v, want say_hello, get_weather and long_task", names)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "say_hello", Arguments: map[string]any{"name": "Grace"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.IsError || res.Content[0].(*mcp.TextContent).Text != "Hello, Grace!" {
		t.Errorf("say_hello: %+v", res.Content[0])
	}
	cs.Close()

	// The key never reaches the log.
	if strings.Contains(srv.stderr.String(), key) {
		t.Error("the server logged the API key")
	}
	if err := srv.stop(t); err != nil {
		t.Errorf("exit after SIGTERM: %v, want status 0\n%s", err, srv.stderr.String())
	}
}

// TestInitBadInputWritesNothing checks that invalid input exits 2 and leaves no trace.
func TestInitBadInputWritesNothing(t *testing.T) {
	for _, args := range [][]string{
		{"init", "Bad_Name", "--yes"},
		{"init", "ok-name", "--yes", "--path", "mcp"},
		{"init", "ok-name", "--yes", "--port", "70000"},
		{"init", "ok-name", "--yes", "--module", "not a module"},
		{"init", "ok-name", "--yes", "--auth", "oauth"},
		{"init", "ok-name", "--yes", "--auth", "basic"},
		{"init", "ok-name", "--yes", "--bogus"},
		{"init", "--yes"},
	} {
		t.Run(strings.Join(args[1:], " "), func(t *testing.T) {
			parent := t.TempDir()
			_, errOut, code := mcpctl(t, parent, nil, args...)
			if code != 2 {
				t.Errorf("exit %d, want 2\n%s", code, errOut)
			}
			if !strings.HasPrefix(errOut, "Error: ") {
				t.Errorf("stderr %q does not start with a clear error", errOut)
			}
			if entries, _ := os.ReadDir(parent); len(entries) != 0 {
				t.Errorf("wrote %d entries", len(entries))
			}
		})
	}
}

// TestInitRefusesNonEmptyDir checks that an existing project is never touched.
func TestInitRefusesNonEmptyDir(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "taken")
	os.Mkdir(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main // mine\n"), 0o644)
	_, errOut, code := mcpctl(t, parent, nil, "init", "taken", "--yes")
	if code != 1 || !strings.Contains(errOut, "not empty") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	entries, _ := os.ReadDir(dir)
	data, _ := os.ReadFile(filepath.Join(dir, "main.go"))
	if len(entries) != 1 || string(data) != "package main // mine\n" {
		t.Errorf("the directory changed: %d entries, main.go %q", len(entries), data)
	}
}
