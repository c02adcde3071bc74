package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestExitCodes(t *testing.T) {
	t.Parallel()
	seen := map[int]bool{}
	classes := map[Class]bool{}
	for _, d := range ExitCodes() {
		switch d.Code {
		case 2, 124, 126, 127, 130:
			t.Errorf("%s uses reserved exit code %d", d.Class, d.Code)
		}
		if seen[d.Code] || classes[d.Class] {
			t.Errorf("duplicate exit code %d or class %q", d.Code, d.Class)
		}
		seen[d.Code], classes[d.Class] = true, true
		if d.Class.ExitCode() != d.Code || d.Meaning == "" {
			t.Errorf("%q: ExitCode() = %d, want %d; meaning %q", d.Class, d.Class.ExitCode(), d.Code, d.Meaning)
		}
	}
	help := ExitCodeHelp()
	if !strings.Contains(help, " 17  auth ") || !strings.Contains(help, "  0  ok ") {
		t.Errorf("help table:\n%s", help)
	}
}

func TestParseURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://x.example/mcp":   "https://x.example/mcp",
		"x.herokuapp.com/mcp":     "https://x.herokuapp.com/mcp",
		"localhost:8000/mcp":      "http://localhost:8000/mcp",
		"127.0.0.1:8000":          "http://127.0.0.1:8000",
		" http://a.example/mcp#x": "http://a.example/mcp",
	} {
		u, err := ParseURL(in)
		if err != nil || u.String() != want {
			t.Errorf("ParseURL(%q) = %v, %v; want %s", in, u, err, want)
		}
	}
	for _, bad := range []string{"", "ftp://x/mcp", "https://", "http://a b/"} {
		if _, err := ParseURL(bad); err == nil {
			t.Errorf("ParseURL(%q): no error", bad)
		}
	}
}

func TestReadFirstEvent(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, event, data string }{
		{"event: endpoint\ndata: /messages?sessionid=1\n\n", "endpoint", "/messages?sessionid=1"},
		{": comment\n\nid: 1\ndata: {\"a\":1}\ndata: {}\n\nevent: x\n", "message", "{\"a\":1}\n{}"},
	}
	for _, c := range cases {
		event, data, err := readFirstEvent(strings.NewReader(c.in))
		if err != nil || event != c.event || data != c.data {
			t.Errorf("readFirstEvent(%q) = %q, %q, %v", c.in, event, data, err)
		}
	}
	if _, _, err := readFirstEvent(strings.NewReader("")); err == nil {
		t.Error("empty stream: no error")
	}
}

func TestIsCredentialHeader(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"Authorization": true, "X-Api-Key": true, "Cookie": true, "X-Custom-Token": true,
		"X-My-Secret": true, "X-Tenant": false, "User-Agent": false, "Host": false,
	} {
		if got := isCredentialHeader(name, "x-api-key"); got != want {
			t.Errorf("isCredentialHeader(%q) = %v", name, got)
		}
	}
	if !isCredentialHeader("X-Gateway", "x-gateway") {
		t.Error("the key header itself is a credential")
	}
}

func TestWriteTextWithoutColour(t *testing.T) {
	t.Parallel()
	r := &Report{
		URL: "https://x.example/mcp", Endpoint: "https://x.example/mcp", Class: ClassAuth, ExitCode: ExitAuth,
		Summary: "rejected", Hint: "fix the key",
		Steps: []Step{
			{Name: StepReach, Status: StatusPass, DurationMS: 1500, Detail: "HTTP 401"},
			{Name: StepInitialize, Status: StatusFail, DurationMS: 12, Detail: "rejected", Hint: "fix the key"},
			{Name: StepToolsList, Status: StatusSkip, Detail: "not run"},
		},
	}
	var plain, color bytes.Buffer
	r.WriteText(&plain, false)
	r.WriteText(&color, true)
	want := "Checking https://x.example/mcp\n\n" +
		"✓ reach             1.5s  HTTP 401\n" +
		"✗ initialize        12ms  rejected\n" +
		"                          → fix the key\n" +
		"- tools/list              not run\n" +
		"\nFAILED (auth, exit 17): rejected\nNext: fix the key\n"
	if plain.String() != want {
		t.Errorf("plain report:\n%s\nwant:\n%s", plain.String(), want)
	}
	if !strings.Contains(color.String(), "\x1b[31m✗\x1b[0m") {
		t.Errorf("coloured report has no colour:\n%q", color.String())
	}
}

func TestReportJSONShape(t *testing.T) {
	t.Parallel()
	srv := startServer(t, requireKey(testKey, mcpHandler(true)))
	o := testOptions(srv.URL+"/mcp", newFakeClock())
	o.Key = testKey
	r := run(t, o)
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), testKey) {
		t.Fatal("the JSON report contains the key")
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema_version", "url", "endpoint", "ok", "exit_code", "summary", "duration_ms", "steps", "auth", "server", "tools"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON report lacks %q:\n%s", k, buf.String())
		}
	}
	step := m["steps"].([]any)[0].(map[string]any)
	for _, k := range []string{"name", "status", "duration_ms", "detail"} {
		if _, ok := step[k]; !ok {
			t.Errorf("JSON step lacks %q", k)
		}
	}
}

// A 503 on the authenticated initialize (a dyno restarting between requests) is retried
// like one on the first request.
func TestRetryInitialize(t *testing.T) {
	t.Parallel()
	var failed atomic.Int32
	next := requireKey(testKey, mcpHandler(true))
	srv := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != "" && failed.Add(1) <= 2 {
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		next.ServeHTTP(w, r)
	}))
	clock := newFakeClock()
	o := testOptions(srv.URL+"/mcp", clock)
	o.Key = testKey
	o.Retry = Retry{For: time.Minute, Initial: time.Second, Max: 8 * time.Second}
	r := run(t, o)
	if !r.OK {
		t.Fatalf("not OK: %s", r.Summary)
	}
	s := wantStep(t, r, StepInitialize, StatusPass)
	if s.Attempts < 2 {
		t.Errorf("initialize attempts = %d", s.Attempts)
	}
	// Retry-After: 3 is longer than the 1s backoff, so it wins.
	if len(clock.slept) == 0 || clock.slept[0] != 3*time.Second {
		t.Errorf("waits %v, want the first to honour Retry-After: 3", clock.slept)
	}
}

// The session a stateful, open server creates for the unauthenticated request is
// deleted, as is the check's own session: a check leaves nothing behind.
func TestSessionsCleanedUp(t *testing.T) {
	t.Parallel()
	var deletes atomic.Int32
	next := mcpHandler(false)
	srv := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete {
			deletes.Add(1)
		}
		next.ServeHTTP(w, r)
	}))
	r := run(t, testOptions(srv.URL+"/mcp", newFakeClock()))
	if !r.OK {
		t.Fatalf("not OK: %s", r.Summary)
	}
	if deletes.Load() != 2 {
		t.Errorf("%d DELETE requests, want 2", deletes.Load())
	}
}

// go-sdk refuses a non-loopback Host on a loopback listener (DNS-rebinding protection),
// which is what a same-host proxy that forwards the public Host runs into.
func TestLocalhostProtection(t *testing.T) {
	t.Parallel()
	srv := startServer(t, mcpHandler(true))
	o := testOptions(srv.URL+"/mcp", newFakeClock())
	o.Header = http.Header{"Host": {"myapp.example.com"}}
	r := run(t, o)
	wantFailure(t, r, ClassAuth, ExitAuth)
	if !strings.Contains(r.Hint, "loopback Host") {
		t.Errorf("hint %q", r.Hint)
	}
}

// A server whose handler answers HTML to authenticated requests (a login wall that lets
// the unauthenticated probe through as 401) is reported as not MCP.
func TestHTMLAfterAuth(t *testing.T) {
	t.Parallel()
	srv := startServer(t, requireKey(testKey, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html><title>Sign in</title></html>")
	})))
	o := testOptions(srv.URL+"/mcp", newFakeClock())
	o.Key = testKey
	r := run(t, o)
	wantFailure(t, r, ClassNotMCP, ExitNotMCP)
	s := wantStep(t, r, StepInitialize, StatusFail)
	if !strings.Contains(s.Detail, "Sign in") {
		t.Errorf("detail %q", s.Detail)
	}
}

func TestRunContextCancelled(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := newFakeClock()
	o := testOptions(srv.URL+"/mcp", clock)
	o.Retry = Retry{For: time.Hour}
	o.OnRetry = func(RetryNotice) { cancel() }
	r, err := Run(ctx, o)
	if err == nil || r == nil {
		t.Fatalf("Run = %v, %v; want a partial report and the context's error", r, err)
	}
}

// A generated server names its MCP path in the 404 body; the check follows it even when
// it is not the default /mcp.
func TestEndpointNamedIn404(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.Handle("/api/v1/mcp", requireKey(testKey, mcpHandler(true)))
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":"not_found","mcp_endpoint":"/api/v1/mcp"}`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	o := testOptions(srv.URL+"/", newFakeClock())
	o.Key = testKey
	r := run(t, o)
	wantFailure(t, r, ClassWrongURL, ExitWrongURL)
	if r.Endpoint != srv.URL+"/api/v1/mcp" {
		t.Errorf("endpoint %q", r.Endpoint)
	}
	wantStep(t, r, StepToolsList, StatusPass)
}

func TestServerError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "panic: nil map", http.StatusInternalServerError)
	}))
	defer srv.Close()
	r := run(t, testOptions(srv.URL+"/mcp", newFakeClock()))
	wantFailure(t, r, ClassProtocol, ExitProtocol)
	if !strings.Contains(r.Summary, "panic: nil map") {
		t.Errorf("summary %q", r.Summary)
	}
}

// BenchmarkRun measures a whole check (6 steps, tool call included) against an
// in-process stateless server with an API key.
func BenchmarkRun(b *testing.B) {
	srv := startServer(b, requireKey(testKey, mcpHandler(true)))
	o := Options{URL: srv.URL + "/mcp", Key: testKey, Call: &ToolCall{Name: "say_hello", Args: json.RawMessage(`{"name":"Ada"}`)}}
	for b.Loop() {
		r, err := Run(context.Background(), o)
		if err != nil || !r.OK {
			b.Fatalf("%v %+v", err, r)
		}
	}
}
