package connect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestClaudeAISteps(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.req(ClaudeAI)
	res := apply(t, r)
	if res.Action != Manual || res.Path != "" {
		t.Errorf("result = %+v", res)
	}
	steps := strings.Join(res.Steps, "\n")
	for _, want := range []string{"Settings → Connectors", "Add custom connector", "Name: demo", "Remote MCP server URL: " + testURL, "x-api-key"} {
		if !strings.Contains(steps, want) {
			t.Errorf("steps lack %q:\n%s", want, steps)
		}
	}
	if !strings.Contains(strings.Join(res.Notes, "\n"), "OAuth is the reliable way") {
		t.Errorf("no OAuth recommendation for an API-key server: %q", res.Notes)
	}

	r.Auth = AuthOAuth
	res = apply(t, r)
	if !strings.Contains(strings.Join(res.Steps, "\n"), "https://claude.ai/api/mcp/auth_callback") {
		t.Errorf("OAuth steps lack the callback:\n%s", strings.Join(res.Steps, "\n"))
	}

	for _, bad := range []string{
		"http://demo.example.com/mcp",
		"https://localhost:8443/mcp",
		"https://127.0.0.1/mcp",
		"https://[::1]/mcp",
		"https://10.0.0.5/mcp",
		"https://192.168.1.20/mcp",
		"https://172.16.0.1/mcp",
		"https://169.254.169.254/mcp",
		"https://100.64.1.1/mcp",
		"https://printer.local/mcp",
		"https://intranet/mcp",
		"https://app.localhost/mcp",
	} {
		r.URL = bad
		if _, err := Apply(r); err == nil {
			t.Errorf("%s accepted for claude.ai", bad)
		}
	}
	for _, good := range []string{testURL, "https://8.8.8.8/mcp", "https://mcp.example.com:8443/x/mcp"} {
		r.URL = good
		if _, err := Apply(r); err != nil {
			t.Errorf("%s refused: %v", good, err)
		}
	}
	if entries, err := os.ReadDir(f.home); err != nil || len(entries) != 0 {
		t.Errorf("claude-ai wrote files: %v %v", entries, err)
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// Cursor and Codex point at the deployed URL, Claude Code (project) at another
	// server, Claude Desktop bridges to the local URL; Gemini's file is broken.
	apply(t, f.req(Cursor))
	r := f.req(Codex)
	r.Name = "prod"
	apply(t, r)
	r = f.req(ClaudeCode)
	r.URL = "https://unrelated.example.com/mcp"
	apply(t, r)
	r = f.req(ClaudeDesktop)
	r.URL = "http://127.0.0.1:8000/mcp"
	apply(t, r)
	writeFile(t, filepath.Join(f.proj, ".gemini", "settings.json"), "{oops", 0o644)
	if err := os.MkdirAll(filepath.Join(f.home, ".cursor"), 0o755); err != nil {
		t.Fatal(err)
	}

	got := map[string]Status{}
	for _, st := range List(ListRequest{ProjectDir: f.proj, Env: f.env(), URLs: []string{testURL + "/", "http://127.0.0.1:8000/mcp"}}) {
		got[string(st.Client)+"/"+string(st.Scope)] = st
	}
	if len(got) != 12 {
		t.Errorf("%d statuses, want one per client and scope (12)", len(got))
	}
	check := func(key string, configured bool, entries string) {
		t.Helper()
		st, ok := got[key]
		if !ok {
			t.Fatalf("no status for %s", key)
		}
		if st.Configured != configured || strings.Join(st.Entries, ",") != entries {
			t.Errorf("%s: configured=%v entries=%v, want %v %q", key, st.Configured, st.Entries, configured, entries)
		}
	}
	check("cursor/project", true, "demo")
	check("cursor/user", false, "")
	check("codex/user", true, "prod")
	check("claude-code/project", false, "")
	check("claude-desktop/user", true, "demo")
	check("vscode/project", false, "")
	if st := got["gemini/project"]; st.Error == "" || !st.Exists {
		t.Errorf("broken gemini file: %+v", st)
	}
	if st := got["cursor/user"]; !st.Installed || st.Exists || !strings.HasSuffix(st.Path, filepath.Join(".cursor", "mcp.json")) {
		t.Errorf("cursor/user: %+v", st)
	}
	if st := got["claude-ai/user"]; st.Path != "" || !st.Installed {
		t.Errorf("claude-ai: %+v", st)
	}

	entry, path, err := Lookup(f.req(Cursor))
	if err != nil || entry["url"] != testURL || !strings.HasSuffix(path, "mcp.json") {
		t.Errorf("Lookup = %v, %q, %v", entry, path, err)
	}
	r = f.req(Cursor)
	r.Name = "missing"
	if entry, _, err := Lookup(r); entry != nil || err != nil {
		t.Errorf("Lookup(missing) = %v, %v", entry, err)
	}
}

func TestSameURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"https://x.example/mcp", "https://x.example/mcp/", true},
		{"https://X.example/mcp", "https://x.example/mcp", true},
		{"https://x.example/mcp", "http://x.example/mcp", false},
		{"https://x.example/mcp", "https://x.example/other", false},
		{"http://127.0.0.1:8000/mcp", "http://127.0.0.1:8001/mcp", false},
	} {
		if got := sameURL(tc.a, tc.b); got != tc.same {
			t.Errorf("sameURL(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}

// For a project generated for API keys, setting auth = "oauth" would make the server
// refuse to start: claude.ai's advice must be one that works.
func TestClaudeAIOAuthAdviceFitsTheCode(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	server := filepath.Join(f.proj, "internal", "server")
	if err := os.MkdirAll(server, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(server, "config.go"), []byte("package server\n"), 0o644)
	notes := strings.Join(apply(t, f.req(ClaudeAI)).Notes, "\n")
	if strings.Contains(notes, `set auth = "oauth"`) || !strings.Contains(notes, "mcpctl init NAME --auth oauth") {
		t.Errorf("advice for an API-key project: %s", notes)
	}
	os.WriteFile(filepath.Join(server, "oauth.go"), []byte("package server\n"), 0o644)
	if notes := strings.Join(apply(t, f.req(ClaudeAI)).Notes, "\n"); !strings.Contains(notes, `set auth = "oauth"`) {
		t.Errorf("advice for a project with OAuth code: %s", notes)
	}
}
