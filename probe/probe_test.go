package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
)

const testKey = "mcpk_test-key-0123456789"

// fakeClock makes retries and timings instant and deterministic: Sleep advances Now.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	slept []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	c.slept = append(c.slept, d)
	return nil
}

func (c *fakeClock) total() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var sum time.Duration
	for _, d := range c.slept {
		sum += d
	}
	return sum
}

type helloArgs struct {
	Name string `json:"name" jsonschema:"who to greet"`
}

// newMCPServer returns a go-sdk server with the tools the tests call.
func newMCPServer() *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "testserver", Version: "1.2.3"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "say_hello", Description: "Greets someone"},
		func(_ context.Context, _ *mcp.CallToolRequest, in helloArgs) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "Hello, " + in.Name + "!"}}}, nil, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "always_fails", Description: "Reports an upstream failure"},
		func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
			return nil, nil, errors.New("upstream weather service returned 502")
		})
	return s
}

func mcpHandler(stateless bool) http.Handler {
	s := newMCPServer()
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s },
		&mcp.StreamableHTTPOptions{Stateless: stateless})
}

// requireKey is the API-key middleware of a generated server: x-api-key or a bearer
// token, else 401 with a JSON body and a WWW-Authenticate challenge.
func requireKey(key string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("X-Api-Key")
		if b, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && got == "" {
			got = b
		}
		if got != key {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("WWW-Authenticate", `Bearer realm="mcp"`)
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"unauthorized"}`)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// startServer serves h at /mcp (and /health) on a loopback httptest server.
func startServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/mcp", h)
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `{"status":"ok"}`) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// opts returns Options for url with a fake clock and a short timeout.
func testOptions(url string, clock *fakeClock) Options {
	return Options{
		URL:       url,
		Timeout:   5 * time.Second,
		Now:       clock.Now,
		Sleep:     clock.Sleep,
		KeySource: "MCP_API_KEY",
	}
}

func run(t *testing.T, o Options) *Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := Run(ctx, o)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if t.Failed() || testing.Verbose() {
		var b strings.Builder
		r.WriteText(&b, false)
		t.Log("\n" + b.String())
	}
	return r
}

func wantStep(t *testing.T, r *Report, name, status string) Step {
	t.Helper()
	s, ok := r.Step(name)
	if !ok {
		t.Fatalf("no step %q in report: %+v", name, r.Steps)
	}
	if s.Status != status {
		t.Errorf("step %s: status %s, want %s (detail: %s; hint: %s)", name, s.Status, status, s.Detail, s.Hint)
	}
	return s
}

func wantFailure(t *testing.T, r *Report, class Class, exit int) {
	t.Helper()
	if r.OK {
		t.Fatalf("report OK, want failure %s", class)
	}
	if r.Class != class || r.ExitCode != exit {
		t.Errorf("failure %s (exit %d), want %s (exit %d); summary: %s", r.Class, r.ExitCode, class, exit, r.Summary)
	}
	if r.Hint == "" {
		t.Errorf("failure %s has no hint", r.Class)
	}
}

func TestHappyPath(t *testing.T) {
	t.Parallel()
	for _, stateless := range []bool{true, false} {
		t.Run(fmt.Sprintf("stateless=%v", stateless), func(t *testing.T) {
			srv := startServer(t, requireKey(testKey, mcpHandler(stateless)))
			o := testOptions(srv.URL+"/mcp", newFakeClock())
			o.Key = testKey
			o.Call = &ToolCall{Name: "say_hello", Args: json.RawMessage(`{"name":"Ada"}`)}
			r := run(t, o)

			if !r.OK || r.ExitCode != 0 {
				t.Fatalf("not OK: %s (%s)", r.Summary, r.Class)
			}
			for _, name := range []string{StepReach, StepEndpoint, StepAuth, StepInitialize, StepToolsList, StepToolsCall} {
				wantStep(t, r, name, StatusPass)
			}
			if r.Auth == nil || r.Auth.Mode != "apikey" || r.Auth.UnauthenticatedStatus != 401 {
				t.Errorf("auth = %+v, want apikey with 401", r.Auth)
			}
			if r.Auth.Credentials != "x-api-key from MCP_API_KEY" {
				t.Errorf("credentials = %q", r.Auth.Credentials)
			}
			if r.Server == nil || r.Server.Name != "testserver" || r.Server.Version != "1.2.3" {
				t.Fatalf("server = %+v", r.Server)
			}
			if r.Server.Stateless != stateless || (r.Server.SessionID == "") != stateless {
				t.Errorf("server stateless=%v session=%q, want stateless=%v", r.Server.Stateless, r.Server.SessionID, stateless)
			}
			wantProto := "2025-11-25"
			if stateless {
				wantProto = "2026-07-28"
			}
			if r.Server.ProtocolVersion != wantProto {
				t.Errorf("protocol %s, want %s", r.Server.ProtocolVersion, wantProto)
			}
			if strings.Join(r.Tools, ",") != "always_fails,say_hello" {
				t.Errorf("tools = %v", r.Tools)
			}
			if r.ToolCall == nil || r.ToolCall.Text != "Hello, Ada!" || r.ToolCall.IsError {
				t.Errorf("tool call = %+v", r.ToolCall)
			}
			if r.Connection == nil || r.Connection.RemoteAddr == "" {
				t.Errorf("connection = %+v", r.Connection)
			}
			var text bytes.Buffer
			r.WriteText(&text, false)
			if err := r.WriteJSON(&text); err != nil || strings.Contains(text.String(), testKey) {
				t.Errorf("the report contains the key (or JSON failed: %v)", err)
			}
		})
	}
}

// The key can also travel as a bearer token, and extra headers reach the server.
func TestKeyAsBearerAndExtraHeaders(t *testing.T) {
	t.Parallel()
	var sawTenant atomic.Bool
	h := requireKey(testKey, mcpHandler(true))
	srv := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Tenant") == "acme" && r.Header.Get("Authorization") != "" {
			sawTenant.Store(true)
		}
		h.ServeHTTP(w, r)
	}))
	o := testOptions(srv.URL+"/mcp", newFakeClock())
	o.Key, o.KeyHeader = testKey, "Authorization"
	o.Header = http.Header{"X-Tenant": {"acme"}}
	r := run(t, o)
	if !r.OK {
		t.Fatalf("not OK: %s", r.Summary)
	}
	if !sawTenant.Load() {
		t.Error("the server never saw X-Tenant with credentials")
	}
}

func TestWrongKey(t *testing.T) {
	t.Parallel()
	srv := startServer(t, requireKey(testKey, mcpHandler(true)))
	o := testOptions(srv.URL+"/mcp", newFakeClock())
	o.Key = "mcpk_wrong"
	r := run(t, o)
	wantFailure(t, r, ClassAuth, ExitAuth)
	wantStep(t, r, StepAuth, StatusPass)
	s := wantStep(t, r, StepInitialize, StatusFail)
	if s.HTTPStatus != 401 || !strings.Contains(s.Detail, "rejected the credentials") || !strings.Contains(s.Detail, "MCP_API_KEY") {
		t.Errorf("initialize step = %+v", s)
	}
	wantStep(t, r, StepToolsList, StatusSkip)
}

func TestNoKey(t *testing.T) {
	t.Parallel()
	srv := startServer(t, requireKey(testKey, mcpHandler(true)))
	r := run(t, testOptions(srv.URL+"/mcp", newFakeClock()))
	wantFailure(t, r, ClassAuth, ExitAuth)
	s := wantStep(t, r, StepInitialize, StatusFail)
	if !strings.Contains(s.Hint, "--key-env") {
		t.Errorf("hint %q does not mention --key-env", s.Hint)
	}
}

func TestUnauthenticatedAccepted(t *testing.T) {
	t.Parallel()
	srv := startServer(t, mcpHandler(false))
	t.Run("with key", func(t *testing.T) {
		o := testOptions(srv.URL+"/mcp", newFakeClock())
		o.Key = testKey
		r := run(t, o)
		wantFailure(t, r, ClassAuthNotEnforced, ExitAuthNotEnforced)
		// The MCP steps still run so the report shows the server otherwise works.
		wantStep(t, r, StepInitialize, StatusPass)
		wantStep(t, r, StepToolsList, StatusPass)
		if r.Auth.Mode != "none" {
			t.Errorf("auth mode %q", r.Auth.Mode)
		}
	})
	t.Run("without key on localhost", func(t *testing.T) {
		r := run(t, testOptions(srv.URL+"/mcp", newFakeClock()))
		if !r.OK {
			t.Fatalf("not OK: %s", r.Summary)
		}
	})
}

func TestToolCallFailures(t *testing.T) {
	t.Parallel()
	srv := startServer(t, requireKey(testKey, mcpHandler(true)))
	cases := []struct {
		name, tool, args, want string
	}{
		{"error result", "always_fails", "", "upstream weather service returned 502"},
		{"unknown tool", "nope", "", "always_fails, say_hello"},
		{"bad arguments", "say_hello", `{"name": 42}`, "say_hello"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := testOptions(srv.URL+"/mcp", newFakeClock())
			o.Key = testKey
			o.Call = &ToolCall{Name: tc.tool, Args: json.RawMessage(tc.args)}
			r := run(t, o)
			wantFailure(t, r, ClassToolCall, ExitToolCall)
			s := wantStep(t, r, StepToolsCall, StatusFail)
			if !strings.Contains(s.Detail+s.Hint, tc.want) {
				t.Errorf("step %+v does not mention %q", s, tc.want)
			}
		})
	}
}

func TestBaseURLFindsMCPPath(t *testing.T) {
	t.Parallel()
	srv := startServer(t, requireKey(testKey, mcpHandler(true)))
	o := testOptions(srv.URL, newFakeClock())
	o.Key = testKey
	r := run(t, o)
	wantFailure(t, r, ClassWrongURL, ExitWrongURL)
	s := wantStep(t, r, StepEndpoint, StatusFail)
	if !strings.Contains(s.Hint, srv.URL+"/mcp") {
		t.Errorf("hint %q does not name %s/mcp", s.Hint, srv.URL)
	}
	if r.Endpoint != srv.URL+"/mcp" {
		t.Errorf("endpoint %q", r.Endpoint)
	}
	wantStep(t, r, StepInitialize, StatusPass)
	wantStep(t, r, StepToolsList, StatusPass)
}

func TestTrailingSlash(t *testing.T) {
	t.Parallel()
	srv := startServer(t, requireKey(testKey, mcpHandler(true)))
	o := testOptions(srv.URL+"/mcp/", newFakeClock())
	o.Key = testKey
	r := run(t, o)
	wantFailure(t, r, ClassWrongURL, ExitWrongURL)
	if r.Endpoint != srv.URL+"/mcp" {
		t.Errorf("endpoint %q", r.Endpoint)
	}
}

func TestLegacySSEServer(t *testing.T) {
	t.Parallel()
	s := newMCPServer()
	mux := http.NewServeMux()
	mux.Handle("/sse", mcp.NewSSEHandler(func(*http.Request) *mcp.Server { return s }, nil))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, url := range []string{srv.URL, srv.URL + "/sse"} {
		t.Run(url, func(t *testing.T) {
			r := run(t, testOptions(url, newFakeClock()))
			wantFailure(t, r, ClassLegacySSE, ExitLegacySSE)
			s := wantStep(t, r, StepEndpoint, StatusFail)
			if !strings.Contains(s.Hint, "Streamable HTTP") {
				t.Errorf("hint %q", s.Hint)
			}
		})
	}
}

func TestHTMLPage(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!doctype html><html><head><title>Welcome to Acme</title></head><body>hi</body></html>")
	}))
	defer srv.Close()
	r := run(t, testOptions(srv.URL+"/mcp", newFakeClock()))
	wantFailure(t, r, ClassNotMCP, ExitNotMCP)
	s := wantStep(t, r, StepEndpoint, StatusFail)
	if !strings.Contains(s.Detail, "Welcome to Acme") || !strings.Contains(s.Detail, "web page") {
		t.Errorf("detail %q", s.Detail)
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	srv := startServer(t, mcpHandler(true))
	r := run(t, testOptions(srv.URL+"/api", newFakeClock()))
	wantFailure(t, r, ClassNotMCP, ExitNotMCP)
	s := wantStep(t, r, StepEndpoint, StatusFail)
	if !strings.Contains(s.Detail, "404") {
		t.Errorf("detail %q", s.Detail)
	}
}

// herokuAppError is what Heroku's router serves when the app crashed or is booting.
const herokuAppError = `<!DOCTYPE html><html><head><title>Application Error</title></head>` +
	`<body><iframe src="//www.herokucdn.com/error-pages/application-error.html"></iframe></body></html>`

// flaky answers 503 (a Heroku error page) to the first n requests, then serves next.
func flaky(n int32, next http.Handler) (http.Handler, *atomic.Int32) {
	var count atomic.Int32
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if count.Add(1) <= n {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, herokuAppError)
			return
		}
		next.ServeHTTP(w, r)
	}), &count
}

func TestRetryUntilAwake(t *testing.T) {
	t.Parallel()
	h, count := flaky(3, requireKey(testKey, mcpHandler(true)))
	srv := startServer(t, h)
	clock := newFakeClock()
	o := testOptions(srv.URL+"/mcp", clock)
	o.Key = testKey
	o.Retry = Retry{For: time.Minute, Initial: time.Second, Max: 4 * time.Second}
	var notices []RetryNotice
	o.OnRetry = func(n RetryNotice) { notices = append(notices, n) }
	r := run(t, o)
	if !r.OK {
		t.Fatalf("not OK: %s", r.Summary)
	}
	s := wantStep(t, r, StepReach, StatusPass)
	if s.Attempts != 4 {
		t.Errorf("reach attempts = %d, want 4 (3 × 503, then OK); server saw %d requests", s.Attempts, count.Load())
	}
	if got := fmt.Sprint(clock.slept); got != "[1s 2s 4s]" {
		t.Errorf("waits = %s, want [1s 2s 4s]", got)
	}
	if len(notices) != 3 || !strings.Contains(notices[0].Reason, "Heroku application error") {
		t.Errorf("notices = %+v", notices)
	}
}

func TestRetryBounded(t *testing.T) {
	t.Parallel()
	h, count := flaky(1<<30, mcpHandler(true))
	srv := startServer(t, h)
	clock := newFakeClock()
	o := testOptions(srv.URL+"/mcp", clock)
	o.Retry = Retry{For: 20 * time.Second, Initial: time.Second, Max: 8 * time.Second}
	r := run(t, o)
	wantFailure(t, r, ClassUnavailable, ExitUnavailable)
	s := wantStep(t, r, StepReach, StatusFail)
	if !strings.Contains(s.Detail, "Heroku application error") || !strings.Contains(s.Hint, "heroku logs") {
		t.Errorf("step %+v", s)
	}
	// Waits 1+2+4+8 = 15s fit in 20s; the next 8s would not.
	if clock.total() != 15*time.Second || s.Attempts != 5 || count.Load() != 5 {
		t.Errorf("slept %s over %d attempts (%d requests), want 15s over 5", clock.total(), s.Attempts, count.Load())
	}
	wantStep(t, r, StepInitialize, StatusSkip)
}

func TestHerokuCodes(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `at=error code=H14 desc="No web processes running"`)
	}))
	defer srv.Close()
	clock := newFakeClock()
	o := testOptions(srv.URL+"/mcp", clock)
	o.Retry = Retry{For: time.Minute}
	r := run(t, o)
	wantFailure(t, r, ClassUnavailable, ExitUnavailable)
	if !strings.Contains(r.Hint, "ps:scale web=1") || len(clock.slept) != 0 {
		t.Errorf("H14 must not be retried and must say how to scale: hint %q, waits %v", r.Hint, clock.slept)
	}
}

func TestHerokuNoSuchApp(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `<html><iframe src="//www.herokucdn.com/error-pages/no-such-app.html"></iframe></html>`)
	}))
	defer srv.Close()
	r := run(t, testOptions(srv.URL+"/mcp", newFakeClock()))
	wantFailure(t, r, ClassWrongURL, ExitWrongURL)
	if !strings.Contains(r.Hint, "apps:info") {
		t.Errorf("hint %q", r.Hint)
	}
}

// Two stateful processes behind a round-robin balancer: the session lives on one only.
func TestSessionLost(t *testing.T) {
	t.Parallel()
	a, b := requireKey(testKey, mcpHandler(false)), requireKey(testKey, mcpHandler(false))
	var n atomic.Int32
	srv := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Mcp-Session-Id") == "" || n.Add(1)%2 == 0 {
			a.ServeHTTP(w, r)
			return
		}
		b.ServeHTTP(w, r)
	}))
	o := testOptions(srv.URL+"/mcp", newFakeClock())
	o.Key = testKey
	r := run(t, o)
	wantFailure(t, r, ClassSession, ExitSession)
	if !strings.Contains(r.Hint, "stateless = true") {
		t.Errorf("hint %q", r.Hint)
	}
}

func TestConnectionRefused(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	clock := newFakeClock()
	o := testOptions("http://"+addr+"/mcp", clock)
	o.Retry = Retry{For: time.Minute}
	r := run(t, o)
	wantFailure(t, r, ClassUnreachable, ExitUnreachable)
	if len(clock.slept) != 0 {
		t.Errorf("a refused connection was retried: %v", clock.slept)
	}
	if !strings.Contains(r.Summary, "connection refused") {
		t.Errorf("summary %q", r.Summary)
	}
}

func TestUntrustedCertificate(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(requireKey(testKey, mcpHandler(true)))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the expected handshake failure
	srv.StartTLS()
	defer srv.Close()
	o := testOptions(srv.URL+"/mcp", newFakeClock())
	o.Key = testKey
	r := run(t, o)
	wantFailure(t, r, ClassTLS, ExitTLS)
	if !strings.Contains(r.Summary, "not trusted") {
		t.Errorf("summary %q", r.Summary)
	}

	// Trusted (the test server's own client), the same server passes and reports TLS.
	o.HTTPClient = srv.Client()
	r = run(t, o)
	if !r.OK {
		t.Fatalf("not OK with a trusting client: %s", r.Summary)
	}
	if r.Connection == nil || !strings.HasPrefix(r.Connection.TLSVersion, "TLS 1.") {
		t.Errorf("connection = %+v", r.Connection)
	}
}

func TestPlainHTTPOnTLSURL(t *testing.T) {
	t.Parallel()
	srv := startServer(t, mcpHandler(true))
	r := run(t, testOptions(strings.Replace(srv.URL, "http://", "https://", 1)+"/mcp", newFakeClock()))
	wantFailure(t, r, ClassTLS, ExitTLS)
	if !strings.Contains(r.Hint, "http://") {
		t.Errorf("hint %q", r.Hint)
	}
}

func TestDNSFailure(t *testing.T) {
	t.Parallel()
	// Resolution is faked at the dialer: the test must not depend on the network.
	tr := &http.Transport{DialContext: func(_ context.Context, _, addr string) (net.Conn, error) {
		host, _, _ := net.SplitHostPort(addr)
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
	}}
	o := testOptions("https://myserver-abc123.example.invalid/mcp", newFakeClock())
	o.HTTPClient = &http.Client{Transport: tr}
	r := run(t, o)
	wantFailure(t, r, ClassDNS, ExitDNS)
	if !strings.Contains(r.Summary, "does not resolve") || !strings.Contains(r.Hint, "web_url") {
		t.Errorf("summary %q, hint %q", r.Summary, r.Hint)
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	o := testOptions(srv.URL+"/mcp", newFakeClock())
	o.Timeout = 50 * time.Millisecond
	r := run(t, o)
	wantFailure(t, r, ClassUnavailable, ExitUnavailable)
	if !strings.Contains(r.Summary, "no answer") {
		t.Errorf("summary %q", r.Summary)
	}
}

func TestRedirect(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.RedirectHandler("https://elsewhere.example/mcp", http.StatusPermanentRedirect))
	defer srv.Close()
	r := run(t, testOptions(srv.URL+"/mcp", newFakeClock()))
	wantFailure(t, r, ClassWrongURL, ExitWrongURL)
	if !strings.Contains(r.Hint, "https://elsewhere.example/mcp") {
		t.Errorf("hint %q", r.Hint)
	}
}

// oauthServer is an OAuth-protected MCP server with its metadata and an authorization
// server's metadata on the same host. mutate may break the metadata.
func oauthServer(t *testing.T, mutatePRM func(*oauthex.ProtectedResourceMetadata), mutateAS func(map[string]any)) *httptest.Server {
	t.Helper()
	return oauthServerWith(t, oauthConfig{prm: mutatePRM, as: mutateAS})
}

type oauthConfig struct {
	prm         func(*oauthex.ProtectedResourceMetadata)
	as          func(map[string]any)
	noChallenge bool // 401 without WWW-Authenticate (go-sdk's middleware with nil options)
}

func oauthServerWith(t *testing.T, cfg oauthConfig) *httptest.Server {
	t.Helper()
	mutatePRM, mutateAS := cfg.prm, cfg.as
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	prmURL := srv.URL + "/.well-known/oauth-protected-resource/mcp"
	verify := func(_ context.Context, token string, _ *http.Request) (*auth.TokenInfo, error) {
		if token != "good-token" {
			return nil, fmt.Errorf("%w: unknown token", auth.ErrInvalidToken)
		}
		return &auth.TokenInfo{UserID: "ada", Scopes: []string{"mcp:tools"}, Expiration: time.Now().Add(time.Hour)}, nil
	}
	bearerOpts := &auth.RequireBearerTokenOptions{ResourceMetadataURL: prmURL}
	if cfg.noChallenge {
		bearerOpts = nil
	}
	mux.Handle("/mcp", auth.RequireBearerToken(verify, bearerOpts)(mcpHandler(true)))
	prm := &oauthex.ProtectedResourceMetadata{
		Resource:               srv.URL + "/mcp",
		AuthorizationServers:   []string{srv.URL + "/issuer"},
		ScopesSupported:        []string{"mcp:tools"},
		BearerMethodsSupported: []string{"header"},
	}
	if mutatePRM != nil {
		mutatePRM(prm)
	}
	mux.Handle("/.well-known/oauth-protected-resource/mcp", auth.ProtectedResourceMetadataHandler(prm))
	asMeta := map[string]any{
		"issuer":                           srv.URL + "/issuer",
		"authorization_endpoint":           srv.URL + "/issuer/authorize",
		"token_endpoint":                   srv.URL + "/issuer/token",
		"registration_endpoint":            srv.URL + "/issuer/register",
		"code_challenge_methods_supported": []string{"S256"},
		"response_types_supported":         []string{"code"},
	}
	if mutateAS != nil {
		mutateAS(asMeta)
	}
	mux.HandleFunc("GET /.well-known/oauth-authorization-server/issuer", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(asMeta)
	})
	return srv
}

func TestOAuth(t *testing.T) {
	t.Parallel()
	t.Run("discovery without a token", func(t *testing.T) {
		srv := oauthServer(t, nil, nil)
		r := run(t, testOptions(srv.URL+"/mcp", newFakeClock()))
		if !r.OK {
			t.Fatalf("not OK: %s", r.Summary)
		}
		wantStep(t, r, StepAuth, StatusPass)
		wantStep(t, r, StepOAuthResource, StatusPass)
		wantStep(t, r, StepOAuthServer, StatusPass)
		s := wantStep(t, r, StepInitialize, StatusSkip)
		if !strings.Contains(s.Hint, "Authorization: Bearer") {
			t.Errorf("initialize hint %q", s.Hint)
		}
		oa := r.Auth.OAuth
		if r.Auth.Mode != "oauth" || oa == nil || oa.Resource != srv.URL+"/mcp" || len(oa.AuthorizationServers) != 1 {
			t.Fatalf("auth = %+v, oauth = %+v", r.Auth, oa)
		}
		as := oa.AuthorizationServers[0]
		if as.TokenEndpoint != srv.URL+"/issuer/token" || as.RegistrationEndpoint == "" || as.Error != "" {
			t.Errorf("authorization server = %+v", as)
		}
	})
	t.Run("with a token", func(t *testing.T) {
		srv := oauthServer(t, nil, nil)
		o := testOptions(srv.URL+"/mcp", newFakeClock())
		o.Header = http.Header{"Authorization": {"Bearer good-token"}}
		r := run(t, o)
		if !r.OK {
			t.Fatalf("not OK: %s", r.Summary)
		}
		wantStep(t, r, StepToolsList, StatusPass)
	})
	t.Run("with a rejected token", func(t *testing.T) {
		srv := oauthServer(t, nil, nil)
		o := testOptions(srv.URL+"/mcp", newFakeClock())
		o.Header = http.Header{"Authorization": {"Bearer expired"}}
		r := run(t, o)
		wantFailure(t, r, ClassAuth, ExitAuth)
		if !strings.Contains(r.Hint, "audience") {
			t.Errorf("hint %q", r.Hint)
		}
	})
	broken := []struct {
		name string
		prm  func(*oauthex.ProtectedResourceMetadata)
		as   func(map[string]any)
		step string
		want string
	}{
		{"resource mismatch", func(m *oauthex.ProtectedResourceMetadata) { m.Resource = "https://other.example/mcp" }, nil, StepOAuthResource, "not this endpoint"},
		{"no authorization servers", func(m *oauthex.ProtectedResourceMetadata) { m.AuthorizationServers = nil }, nil, StepOAuthResource, "authorization_servers"},
		{"no PKCE", nil, func(m map[string]any) { delete(m, "code_challenge_methods_supported") }, StepOAuthServer, "PKCE"},
		{"no token endpoint", nil, func(m map[string]any) { delete(m, "token_endpoint") }, StepOAuthServer, "token_endpoint"},
		{"authorization server down", func(m *oauthex.ProtectedResourceMetadata) {
			m.AuthorizationServers = []string{"http://127.0.0.1:1/nowhere"}
		}, nil, StepOAuthServer, "no metadata found"},
	}
	for _, tc := range broken {
		t.Run(tc.name, func(t *testing.T) {
			srv := oauthServer(t, tc.prm, tc.as)
			r := run(t, testOptions(srv.URL+"/mcp", newFakeClock()))
			wantFailure(t, r, ClassOAuth, ExitOAuth)
			s := wantStep(t, r, tc.step, StatusFail)
			if !strings.Contains(s.Detail, tc.want) {
				t.Errorf("detail %q does not mention %q", s.Detail, tc.want)
			}
		})
	}
	t.Run("no registration is a warning", func(t *testing.T) {
		srv := oauthServer(t, nil, func(m map[string]any) { delete(m, "registration_endpoint") })
		r := run(t, testOptions(srv.URL+"/mcp", newFakeClock()))
		if !r.OK {
			t.Fatalf("not OK: %s", r.Summary)
		}
		wantStep(t, r, StepOAuthServer, StatusWarn)
	})
}

// A 401 without resource_metadata still leads to the metadata at the well-known URL,
// with a warning, as clients fall back to it.
func TestOAuthWellKnownFallback(t *testing.T) {
	t.Parallel()
	srv := oauthServerWith(t, oauthConfig{noChallenge: true})
	r := run(t, testOptions(srv.URL+"/mcp", newFakeClock()))
	if !r.OK {
		t.Fatalf("not OK: %s", r.Summary)
	}
	s := wantStep(t, r, StepOAuthResource, StatusWarn)
	if !strings.Contains(s.Hint, "resource_metadata") {
		t.Errorf("hint %q", s.Hint)
	}
	if r.Auth.Mode != "oauth" {
		t.Errorf("auth mode %q", r.Auth.Mode)
	}
}

// Something that answers in another protocol is reachable: its own class, not
// "unreachable", and no advice to start the server.
func TestNonHTTPReply(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, "SSH-2.0-OpenSSH_9.6\r\nProtocol mismatch.\r\n")
			c.Close()
		}
	}()
	r := run(t, testOptions("http://"+ln.Addr().String()+"/mcp", newFakeClock()))
	wantFailure(t, r, ClassBadReply, ExitBadReply)
	if strings.Contains(r.Hint, "start the server") || !strings.Contains(r.Summary, "not with HTTP") {
		t.Errorf("summary %q hint %q", r.Summary, r.Hint)
	}
}

// An event stream whose first line never ends is a bad reply, not an unreachable server.
func TestEndlessEventStreamLine(t *testing.T) {
	t.Parallel()
	srv := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: ")
		chunk := strings.Repeat("x", 4096)
		for range 2 * bodyLimit / len(chunk) {
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
	}))
	r := run(t, testOptions(srv.URL+"/mcp", newFakeClock()))
	wantFailure(t, r, ClassBadReply, ExitBadReply)
}

// A redirect to a URL no client can use is not suggested as the URL to use.
func TestRedirectToFileURL(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.RedirectHandler("file:///etc/passwd", http.StatusFound))
	defer srv.Close()
	r := run(t, testOptions(srv.URL+"/mcp", newFakeClock()))
	wantFailure(t, r, ClassWrongURL, ExitWrongURL)
	if strings.Contains(r.Hint, "use file://") || !strings.Contains(r.Hint, "no http(s) URL") {
		t.Errorf("hint %q", r.Hint)
	}
}
