package devproxy

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeBackend serves h on a loopback port and returns a backend for it.
func fakeBackend(t *testing.T, gen int, h http.HandlerFunc) *Backend {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return newBackend(gen, strings.TrimPrefix(srv.URL, "http://"))
}

func testProxy(t *testing.T) (*Proxy, *httptest.Server) {
	t.Helper()
	p := New(Options{WaitTimeout: 30 * time.Second})
	front := httptest.NewServer(p)
	t.Cleanup(front.Close)
	return p, front
}

func post(t *testing.T, url, body string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, string(data)
}

func echo(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("X-Host", r.Host)
	w.Write(body)
}

// A request arriving before any generation is healthy waits for one and is served by it.
func TestProxyRequestWaitsForFirstGeneration(t *testing.T) {
	t.Parallel()
	p, front := testProxy(t)
	waiting := make(chan struct{}, 1)
	p.waiting = func() { waiting <- struct{}{} }
	type result struct {
		status int
		body   string
	}
	done := make(chan result)
	go func() {
		resp, body := post(t, front.URL+"/mcp", `{"jsonrpc":"2.0","id":1,"method":"ping"}`)
		done <- result{resp.StatusCode, body}
	}()
	<-waiting
	p.Activate(fakeBackend(t, 1, echo))
	res := <-done
	if res.status != 200 || res.body != `{"jsonrpc":"2.0","id":1,"method":"ping"}` {
		t.Fatalf("got %d %q", res.status, res.body)
	}
}

// With no generation and none coming (the build failed), requests fail at once with a
// 503 whose JSON-RPC error says why.
func TestProxyFailsFastWhenNothingIsComing(t *testing.T) {
	t.Parallel()
	p, front := testProxy(t)
	p.SetDown(errors.New("the last build failed"))
	resp, body := post(t, front.URL+"/mcp", `{"jsonrpc":"2.0","id":7,"method":"tools/list"}`)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if !strings.Contains(body, `"id":7`) || !strings.Contains(body, "the last build failed") {
		t.Fatalf("body %s", body)
	}
}

// A request refused by a dying generation is re-sent, body intact, to the next one.
func TestProxyResendsRefusedRequestWithBody(t *testing.T) {
	t.Parallel()
	p, front := testProxy(t)
	dying := newBackend(1, "127.0.0.1:1")
	refused := make(chan struct{}, 1)
	dying.tr.DialContext = func(context.Context, string, string) (net.Conn, error) {
		refused <- struct{}{}
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	}
	p.Activate(dying)
	done := make(chan string)
	go func() {
		_, body := post(t, front.URL+"/mcp", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}`)
		done <- body
	}()
	<-refused
	p.Activate(fakeBackend(t, 2, echo))
	if body := <-done; body != `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}` {
		t.Fatalf("second generation got %q", body)
	}
}

// A replaced generation is idle only once the requests it was serving have finished.
func TestRetireWaitsForInFlightRequests(t *testing.T) {
	t.Parallel()
	p, front := testProxy(t)
	entered, release := make(chan struct{}), make(chan struct{})
	old := fakeBackend(t, 1, func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		w.Write([]byte("old"))
	})
	p.Activate(old)
	done := make(chan string)
	go func() {
		_, body := post(t, front.URL+"/mcp", `{}`)
		done <- body
	}()
	<-entered
	p.Activate(fakeBackend(t, 2, echo))
	idle := p.Retire(old)
	select {
	case <-idle:
		t.Fatal("retired generation reported idle with a request in flight")
	default:
	}
	if _, body := post(t, front.URL+"/mcp", `new`); body != "new" {
		t.Fatalf("new generation answered %q", body)
	}
	close(release)
	if body := <-done; body != "old" {
		t.Fatalf("in-flight request got %q", body)
	}
	<-idle
}

// The child sees the client's loopback Host, so that it can tell a same-origin browser
// page on the dev URL (Origin = http://localhost:PORT) from a foreign one; a foreign Host
// (DNS rebinding) never gets past the proxy.
func TestProxyHostHandling(t *testing.T) {
	t.Parallel()
	p, front := testProxy(t)
	p.Activate(fakeBackend(t, 1, echo))
	addr := strings.TrimPrefix(front.URL, "http://")
	_, port, _ := net.SplitHostPort(addr)
	for host, want := range map[string]int{
		addr:                   http.StatusOK,
		"localhost:" + port:    http.StatusOK,
		"localhost":            http.StatusOK,
		"attacker.example:80":  http.StatusForbidden,
		"evil.example":         http.StatusForbidden,
		"evil.example:" + port: http.StatusForbidden,
	} {
		req, _ := http.NewRequest(http.MethodPost, front.URL+"/mcp", strings.NewReader(`{}`))
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %q: status %d, want %d", host, resp.StatusCode, want)
		}
		if want == http.StatusOK && resp.Header.Get("X-Host") != host {
			t.Errorf("child saw Host %q, want the client's %q", resp.Header.Get("X-Host"), host)
		}
	}
}

// Requests are logged with their JSON-RPC method and tool.
func TestProxyLogsRequests(t *testing.T) {
	t.Parallel()
	events := make(chan Event, 10)
	p := New(Options{WaitTimeout: time.Second, OnEvent: func(ev Event) { events <- ev }})
	front := httptest.NewServer(p)
	defer front.Close()
	p.Activate(fakeBackend(t, 3, echo))
	post(t, front.URL+"/mcp", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"say_hello","arguments":{}}}`)
	ev := (<-events).(Request)
	if ev.HTTPMethod != "POST" || ev.RPCMethod != "tools/call" || ev.Tool != "say_hello" || ev.Status != 200 || ev.Gen != 3 || ev.Path != "/mcp" {
		t.Errorf("logged %+v", ev)
	}
}

func TestProxyRejectsOversizedBody(t *testing.T) {
	t.Parallel()
	p := New(Options{WaitTimeout: time.Second, MaxBodyBytes: 16})
	front := httptest.NewServer(p)
	defer front.Close()
	p.Activate(fakeBackend(t, 1, echo))
	if resp, _ := post(t, front.URL+"/mcp", strings.Repeat("x", 17)); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d", resp.StatusCode)
	}
}

func TestParseRPC(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]rpcInfo{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"say_hello"}}`: {Method: "tools/call", Tool: "say_hello"},
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`:                   {Method: "initialize", Initialize: true},
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`:                       {Method: "notifications/initialized", Initialized: true},
		`[{"jsonrpc":"2.0","id":2,"method":"tools/list"}]`:                             {Method: "tools/list"},
		`{"jsonrpc":"2.0","id":1,"method":"x","params":[1,2]}`:                         {Method: "x"},
		`not json`: {},
	} {
		got := parseRPC([]byte(body))
		got.ID, want.ID = nil, nil
		if got.Method != want.Method || got.Tool != want.Tool || got.Initialize != want.Initialize || got.Initialized != want.Initialized {
			t.Errorf("%s: got %+v, want %+v", body, got, want)
		}
	}
}
