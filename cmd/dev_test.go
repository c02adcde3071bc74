package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/internal/executor"
	"github.com/mcpctl/mcpctl/runner"
	"github.com/mcpctl/mcpctl/scaffold"
	"github.com/mcpctl/mcpctl/serverenv"
)

func executeDev(t *testing.T, f *Factory, runF func(context.Context, *devOptions) error, args ...string) error {
	t.Helper()
	return executeWith(t, f, newDevCmd(f, runF), append([]string{"dev"}, args...)...)
}

func TestDevFlags(t *testing.T) {
	f, _, _, _ := testFactory(t, t.TempDir())
	var got *devOptions
	capture := func(_ context.Context, o *devOptions) error { got = o; return nil }
	if err := executeDev(t, f, capture, "--port", "9001", "--no-tui"); err != nil {
		t.Fatal(err)
	}
	if got.Port != 9001 || !got.portSet || !got.NoTUI {
		t.Fatalf("options %+v", got)
	}
	if err := executeDev(t, f, capture); err != nil {
		t.Fatal(err)
	}
	if got.portSet || got.NoTUI {
		t.Fatalf("defaults %+v", got)
	}
}

func TestDevUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"extra"}, {"--port", "0"}, {"--port", "70000"}, {"--port", "x"}} {
		f, _, _, _ := testFactory(t, t.TempDir())
		err := executeDev(t, f, func(context.Context, *devOptions) error { return nil }, args...)
		if !IsUsageError(err) {
			t.Errorf("%v: got %v, want a usage error", args, err)
		}
	}
}

func TestDevOutsideAProject(t *testing.T) {
	f, _, _, _ := testFactory(t, t.TempDir())
	err := executeDev(t, f, nil, "--no-tui")
	var nf *config.NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("err = %v, want *config.NotFoundError", err)
	}
}

func TestDevPortInUse(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	toml := "[project]\nname = \"demo\"\n[server]\nport = " + strconv.Itoa(port) + "\n"
	if err := os.WriteFile(filepath.Join(dir, config.FileName), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	f, _, _, stub := testFactory(t, dir)
	err = executeDev(t, f, nil, "--no-tui")
	var pe *runner.PortInUseError
	if !errors.As(err, &pe) || pe.Port != port || !strings.Contains(err.Error(), "--port") {
		t.Fatalf("err = %v", err)
	}
	if calls := stub.Calls(); len(calls) != 0 {
		t.Errorf("ran %v before noticing the port", calls)
	}
}

func TestDevEnvReadsTomlAndDotEnv(t *testing.T) {
	dir := t.TempDir()
	toml := "[project]\nname = \"demo\"\n[server]\npath = \"/x\"\nstateless = false\n"
	if err := os.WriteFile(filepath.Join(dir, config.FileName), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("# secrets\nMCP_API_KEY=k1\nB=2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env, err := devEnv(dir, 8000, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"MCP_PATH=/x", "MCP_STATELESS=false", "MCP_AUTH=apikey", "MCP_API_KEY=k1", "B=2"} {
		if !slices.Contains(env, want) {
			t.Errorf("env %v lacks %s", env, want)
		}
	}
	if slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "MCP_RESOURCE_URL=") }) {
		t.Errorf("MCP_RESOURCE_URL set for an apikey project: %v", env)
	}

	oauth := "[project]\nname = \"demo\"\n[server]\npath = \"/x\"\nauth = \"oauth\"\n[server.oauth]\nissuer = \"https://auth.example.com/\"\n"
	if err := os.WriteFile(filepath.Join(dir, config.FileName), []byte(oauth), 0o644); err != nil {
		t.Fatal(err)
	}
	if env, err = devEnv(dir, 8123, nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(env, "MCP_RESOURCE_URL=http://127.0.0.1:8123/x") {
		t.Errorf("oauth env without a resource URL: %v", env)
	}
	if got := mainPackage(dir, "demo"); got != "." {
		t.Errorf("mainPackage without cmd/demo = %q", got)
	}
	if err := os.MkdirAll(filepath.Join(dir, "cmd", "demo"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := mainPackage(dir, "demo"); got != "./cmd/demo" {
		t.Errorf("mainPackage = %q", got)
	}
}

type devHeaderTransport struct{ header http.Header }

func (h devHeaderTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range h.header {
		r.Header[k] = v
	}
	return http.DefaultTransport.RoundTrip(r)
}

// devOutput collects output written by another goroutine and wakes waiters.
type devOutput struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func (b *devOutput) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	close(b.changed)
	b.changed = make(chan struct{})
	return b.buf.Write(p)
}

func (b *devOutput) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor waits until s appears at or after offset *from, then moves *from past it.
func (b *devOutput) waitFor(t *testing.T, from *int, s string) {
	t.Helper()
	deadline := time.NewTimer(3 * time.Minute)
	defer deadline.Stop()
	for {
		b.mu.Lock()
		text, ch := b.buf.String(), b.changed
		b.mu.Unlock()
		if i := strings.Index(text[*from:], s); i >= 0 {
			*from += i + len(s)
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("no %q in output:\n%s", s, text)
		}
	}
}

// `dev --no-tui` on a generated project: each request is one line (the proxy's; the
// server's own access-log line is left out, its other lines are kept), in both protocol
// eras; and a tool file added without its mcp.AddTool line is pointed out after the build.
func TestDevNoTUIOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a generated server")
	}
	p := scaffold.Project{Dir: filepath.Join(t.TempDir(), "demo"), Name: "demo", Module: "example.com/demo",
		Path: config.DefaultPath, Port: config.DefaultPort, Auth: config.AuthAPIKey, Stateless: true}
	port, key, log := startDev(t, p)
	from := 0
	log.waitFor(t, &from, "ready: generation")
	if strings.Contains(log.String(), "never registered") {
		t.Errorf("the generated tools are reported as unregistered:\n%s", log.String())
	}

	for _, version := range []string{"", "2025-11-25"} { // "": the client's newest (2026-07-28)
		transport := &mcp.StreamableClientTransport{
			Endpoint:   "http://127.0.0.1:" + strconv.Itoa(port) + config.DefaultPath,
			HTTPClient: &http.Client{Transport: devHeaderTransport{http.Header{"X-Api-Key": {key}}}},
			MaxRetries: 1,
		}
		cs, err := mcp.NewClient(&mcp.Implementation{Name: "dev-no-tui", Version: "0"}, nil).
			Connect(t.Context(), transport, &mcp.ClientSessionOptions{ProtocolVersion: version})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "say_hello", Arguments: map[string]any{"name": "Ada"}}); err != nil {
			t.Fatalf("say_hello (%q): %v", version, err)
		}
		cs.Close()
		log.waitFor(t, &from, "POST tools/call say_hello -> 200")
	}
	forecast := "package tools\n\nimport (\n\t\"context\"\n\n\t\"github.com/modelcontextprotocol/go-sdk/mcp\"\n)\n\n" +
		"var forecastTool = &mcp.Tool{Name: \"forecast\", Description: \"Tomorrow's weather.\"}\n\n" +
		"func forecast(ctx context.Context, req *mcp.CallToolRequest, in struct{}) (*mcp.CallToolResult, any, error) {\n\treturn nil, nil, nil\n}\n"
	if err := os.WriteFile(filepath.Join(p.Dir, "tools", "forecast.go"), []byte(forecast), 0o644); err != nil {
		t.Fatal(err)
	}
	log.waitFor(t, &from, "notice: tools/forecast.go:9: tool forecastTool and its handler forecast are never registered: add mcp.AddTool(s, forecastTool, forecast) in Register (tools/tools.go)")
	log.waitFor(t, &from, "reloaded (1)")

	// Generation 1 has stopped, so everything it wrote has been read.
	log.waitFor(t, &from, "stopped generation 1")
	out := log.String()
	if n := strings.Count(out, "tools/call say_hello"); n != 2 {
		t.Errorf("%d lines for 2 tools/call requests:\n%s", n, out)
	}
	if strings.Contains(out, "msg=request") {
		t.Errorf("the server's access-log lines are printed too:\n%s", out)
	}
	if !strings.Contains(out, "msg=listening") {
		t.Errorf("the server's other log lines are gone:\n%s", out)
	}
}

// auth = "oauth" in a project generated for API keys: dev says so before building,
// instead of restarting a server that refuses to start.
func TestDevRefusesAnAuthTheCodeCannotServe(t *testing.T) {
	dir := t.TempDir()
	toml := "[project]\nname = \"demo\"\n[server]\nauth = \"oauth\"\n[server.oauth]\nissuer = \"https://auth.example.com/\"\n"
	os.WriteFile(filepath.Join(dir, config.FileName), []byte(toml), 0o644)
	os.MkdirAll(filepath.Join(dir, "internal", "server"), 0o755)
	os.WriteFile(filepath.Join(dir, "internal", "server", "config.go"), []byte("package server\n"), 0o644)
	f, _, _, stub := testFactory(t, dir)
	err := executeDev(t, f, nil, "--no-tui")
	var h Hinter
	if !errors.Is(err, serverenv.ErrAuthUnsupported) || !errors.As(err, &h) || !strings.Contains(h.Hint(), "mcpctl init NAME --auth oauth") {
		t.Fatalf("err = %v", err)
	}
	if calls := stub.Calls(); len(calls) != 0 {
		t.Errorf("ran %v", calls)
	}
}

// `dev --port N` on an OAuth project made by init (whose .env holds the local URL at
// mcpctl.toml's port 8000): the protected-resource metadata, the 401 challenge and
// `check` all use the port actually served.
func TestDevOAuthFollowsThePortServed(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a generated server")
	}
	p := scaffold.Project{Dir: filepath.Join(t.TempDir(), "demo"), Name: "demo", Module: "example.com/demo",
		Path: config.DefaultPath, Port: config.DefaultPort, Auth: config.AuthOAuth, Stateless: true,
		Issuer: "https://login.example.com/"}
	port, _, log := startDev(t, p)
	local := "http://127.0.0.1:" + strconv.Itoa(port)
	from := 0
	log.waitFor(t, &from, "ready: generation")
	if want := "mcpctl connect CLIENT --port " + strconv.Itoa(port); !strings.Contains(log.String(), want) {
		t.Errorf("dev does not say how to connect to the port it serves (%s):\n%s", want, log.String())
	}

	resp, err := http.Get(local + "/.well-known/oauth-protected-resource" + config.DefaultPath)
	if err != nil {
		t.Fatal(err)
	}
	var md struct{ Resource string }
	err = json.NewDecoder(resp.Body).Decode(&md)
	resp.Body.Close()
	if err != nil || md.Resource != local+config.DefaultPath {
		t.Errorf("metadata resource = %q (%v), want %s", md.Resource, err, local+config.DefaultPath)
	}
	resp, err = http.Post(local+config.DefaultPath, "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := `resource_metadata="` + local + "/.well-known/oauth-protected-resource" + config.DefaultPath + `"`
	if ch := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(ch, want) {
		t.Errorf("401 challenge %d %q, want %s", resp.StatusCode, ch, want)
	}

	cf, out, _, _ := testFactory(t, p.Dir)
	err = execute(t, cf, "check", local+config.DefaultPath, "--retry-for", "0")
	if strings.Contains(out.String(), "MCP_RESOURCE_URL") || strings.Contains(out.String(), ":8000") {
		t.Errorf("check against the served port (%v):\n%s", err, out)
	}
}

// startDev generates p, runs `mcpctl dev --no-tui` on it on a free port until the test
// ends, and returns the port, the project's API key and dev's output.
func startDev(t *testing.T, p scaffold.Project) (int, string, *devOutput) {
	t.Helper()
	plan, key, err := p.Plan()
	if err != nil {
		t.Fatal(err)
	}
	if err := scaffold.Apply(p.Dir, plan); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	f, _, _, _ := testFactory(t, p.Dir)
	f.Executor = executor.System{}
	log := &devOutput{changed: make(chan struct{})}
	f.IOStreams.ErrOut = log
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		root := NewRootCmd(f)
		root.SetArgs([]string{"dev", "--no-tui", "--port", strconv.Itoa(port)})
		done <- root.ExecuteContext(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("mcpctl dev: %v", err)
		}
	})
	return port, key, log
}
