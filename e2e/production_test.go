package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpctl/mcpctl/internal/mcpwire"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// routerDouble stands in for a platform's router: it cuts a response whose first byte
// takes longer than firstByte (Heroku: 30 s, H12), or that then stays quiet for idle
// (Heroku: 55 s, H15). Tests scale the windows down.
type routerDouble struct {
	target    string // host:port
	firstByte time.Duration
	idle      time.Duration
	cuts      atomic.Int32
}

func (rt *routerDouble) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	var cut atomic.Bool
	expire := func() { cut.Store(true); cancel() }
	out := r.Clone(ctx)
	out.URL.Scheme, out.URL.Host, out.RequestURI = "http", rt.target, ""
	timer := time.AfterFunc(rt.firstByte, expire)
	resp, err := http.DefaultTransport.RoundTrip(out)
	timer.Stop()
	if err != nil {
		if cut.Load() {
			rt.cuts.Add(1)
			http.Error(w, "H12 request timeout", http.StatusServiceUnavailable)
			return
		}
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	idle := time.AfterFunc(rt.idle, expire)
	defer idle.Stop()
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			idle.Reset(rt.idle)
			_, _ = w.Write(buf[:n])
			_ = http.NewResponseController(w).Flush()
		}
		if err != nil {
			if cut.Load() {
				rt.cuts.Add(1)
				panic(http.ErrAbortHandler) // the router drops the connection
			}
			return
		}
	}
}

// firstByteTimer measures the time to the first byte (the response headers) of the
// slowest POST since reset: a tool call's, when the client makes no other slow request.
type firstByteTimer struct {
	header http.Header
	mu     sync.Mutex
	max    time.Duration
}

func (f *firstByteTimer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range f.header {
		r.Header[k] = v
	}
	start := time.Now()
	resp, err := http.DefaultTransport.RoundTrip(r)
	if r.Method == http.MethodPost {
		f.mu.Lock()
		f.max = max(f.max, time.Since(start))
		f.mu.Unlock()
	}
	return resp, err
}

func (f *firstByteTimer) take() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := f.max
	f.max = 0
	return d
}

// TestLongCallsThroughTimeLimitedRouter puts a router double with a 1 s first-byte window
// and a 2 s idle window in front of the generated server, and calls long_task for 5 s
// (without a progress token, so the tool itself sends nothing) from clients of both
// protocol eras, stateless and stateful. It passes with the server's first byte and
// keep-alives (scaled to 100 ms and 300 ms) and is cut without them.
func TestLongCallsThroughTimeLimitedRouter(t *testing.T) {
	dir := initProject(t, "router-demo", "--no-git")
	key := dotenv(t, dir)["MCP_API_KEY"]
	run(t, dir, "go", "build", "-o", "bin/", "./...")

	const window = time.Second
	type result struct {
		name      string
		streaming bool
		cut       bool
		firstByte time.Duration
	}
	var mu sync.Mutex
	var results []result
	for _, streaming := range []bool{true, false} {
		for _, stateless := range []bool{true, false} {
			for _, version := range []string{"2026-07-28", "2025-11-25"} {
				name := fmt.Sprintf("stateless=%v/%s/streaming=%v", stateless, version, streaming)
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					env := []string{"MCP_API_KEY=" + key, fmt.Sprintf("MCP_STATELESS=%v", stateless)}
					if streaming {
						env = append(env, "MCP_STREAM_FIRST_BYTE=100ms", "MCP_STREAM_KEEPALIVE=300ms")
					} else {
						env = append(env, "MCP_STREAM_FIRST_BYTE=0s", "MCP_STREAM_KEEPALIVE=0s")
					}
					srv := startServer(t, dir, env...)
					rt := &routerDouble{target: strings.TrimPrefix(srv.url, "http://"), firstByte: window, idle: 2 * window}
					ln, err := net.Listen("tcp", "127.0.0.1:0")
					if err != nil {
						t.Fatal(err)
					}
					front := &http.Server{Handler: rt}
					go front.Serve(ln)
					t.Cleanup(func() { front.Close() })

					timer := &firstByteTimer{header: http.Header{"X-Api-Key": {key}}}
					transport := &mcp.StreamableClientTransport{
						Endpoint: "http://" + ln.Addr().String() + "/mcp", HTTPClient: &http.Client{Transport: timer},
						MaxRetries: 1, DisableStandaloneSSE: true,
					}
					cs, err := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "0"}, nil).Connect(context.Background(), transport, &mcp.ClientSessionOptions{ProtocolVersion: version})
					if err != nil {
						t.Fatal(err)
					}
					defer cs.Close()
					timer.take()
					res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "long_task", Arguments: map[string]any{"seconds": 5 * window.Seconds()}})
					cut := err != nil || rt.cuts.Load() > 0
					mu.Lock()
					results = append(results, result{name, streaming, cut, timer.take()})
					mu.Unlock()
					switch {
					case streaming && cut:
						t.Fatalf("the router cut a call the server kept alive: %v %+v (cuts %d)", err, res, rt.cuts.Load())
					case !streaming && !cut:
						t.Fatalf("without first byte and keep-alives a silent 5 s call passed a 1 s first-byte window: %+v", res)
					}
				})
			}
		}
	}
	t.Cleanup(func() {
		var before, after int
		for _, r := range results {
			t.Logf("%-45s cut=%-5v first byte %s", r.name, r.cut, r.firstByte.Round(10*time.Millisecond))
			if r.cut && r.streaming {
				after++
			} else if r.cut {
				before++
			}
		}
		t.Logf("router double (1 s first byte, 2 s idle), 5 s calls: cut %d/%d without the change, %d/%d with it", before, len(results)/2, after, len(results)/2)
	})
}

// TestRestartDuringCallLosesNothing deploys through the fake heroku, starts a 3 s call,
// and changes the app's config while it runs: the platform restarts the app as Heroku
// does (SIGTERM, then wait), and the call still delivers its result.
func TestRestartDuringCallLosesNothing(t *testing.T) {
	dir := initProject(t, "drain-demo")
	key := dotenv(t, dir)["MCP_API_KEY"]
	fake := newFakeHeroku(t, fakeState{LoggedIn: true, Email: "dev@example.com"})
	if out, errOut, code := mcpctl(t, dir, fake.env, "deploy", "heroku"); code != 0 {
		t.Fatalf("deploy exited %d\n%s\n%s", code, out, errOut)
	} else if !strings.Contains(out+errOut, "web dynos: 1 × Basic") {
		t.Errorf("deploy does not say which dynos it deployed to:\n%s\n%s", out, errOut)
	}
	app := fake.app(t, "drain-demo")
	endpoint := fmt.Sprintf("http://127.0.0.1:%d/mcp", app.Port)

	progress := make(chan struct{}, 10)
	transport := &mcp.StreamableClientTransport{
		Endpoint: endpoint, HTTPClient: &http.Client{Transport: mcpwire.WithHeader(nil, http.Header{"X-Api-Key": {key}})},
		MaxRetries: 1, DisableStandaloneSSE: true,
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "0"}, &mcp.ClientOptions{
		ProgressNotificationHandler: func(context.Context, *mcp.ProgressNotificationClientRequest) { progress <- struct{}{} },
	})
	cs, err := client.Connect(context.Background(), transport, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	type reply struct {
		res *mcp.CallToolResult
		err error
	}
	got := make(chan reply, 1)
	go func() {
		params := &mcp.CallToolParams{Name: "long_task", Arguments: map[string]any{"seconds": 3}}
		params.SetProgressToken("drain")
		res, err := cs.CallTool(context.Background(), params)
		got <- reply{res, err}
	}()
	<-progress // the call is running

	restart := exec.Command(filepath.Join(fakeHerokuPath(t), "heroku"), "config:set", "RESTART=1", "-a", "drain-demo")
	restart.Env = append(os.Environ(), fake.env...)
	if out, err := restart.CombinedOutput(); err != nil {
		t.Fatalf("heroku config:set: %v\n%s", err, out)
	}
	r := <-got
	if r.err != nil || r.res.IsError || !strings.Contains(r.res.Content[0].(*mcp.TextContent).Text, "done after 3s") {
		t.Fatalf("call in flight during the restart: %v %+v", r.err, r.res)
	}
	log, _ := os.ReadFile(filepath.Join(fake.dir, "drain-demo.log"))
	if !strings.Contains(string(log), "msg=drained in_flight=1 finished=1 cancelled=0 cut=0") {
		t.Errorf("the app's log has no clean drain:\n%s", log)
	}
	for _, l := range strings.Split(string(log), "\n") {
		if strings.Contains(l, "msg=drained") {
			t.Logf("SIGTERM during a 3 s call: %s", l)
		}
	}
}

// TestDevKeepsProductionBehaviour: through `mcpctl dev`, a same-origin page on the dev URL
// passes the server's DNS-rebinding defence (the MCP conformance case
// localhost-host-valid-accepted) while foreign hosts and origins are refused, a long
// call's progress streams through as it happens, and a call in flight during a reload
// completes on the old process.
func TestDevKeepsProductionBehaviour(t *testing.T) {
	dir := initProject(t, "devprod-demo")
	key := dotenv(t, dir)["MCP_API_KEY"]
	port := freePort(t)
	_, logs, _ := runDev(t, dir, port)
	endpoint := fmt.Sprintf("http://127.0.0.1:%d/mcp", port)
	progress := make(chan struct{}, 100)
	from := 0
	logs.waitFor(t, &from, "ready: generation", 3*time.Minute)
	transport := &mcp.StreamableClientTransport{
		Endpoint: endpoint, HTTPClient: &http.Client{Transport: mcpwire.WithHeader(nil, http.Header{"X-Api-Key": {key}})},
		MaxRetries: 1, DisableStandaloneSSE: true,
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "0"}, &mcp.ClientOptions{
		ProgressNotificationHandler: func(context.Context, *mcp.ProgressNotificationClientRequest) { progress <- struct{}{} },
	}).Connect(context.Background(), transport, nil)
	if err != nil {
		t.Fatalf("connecting to the dev server: %v\n%s", err, logs.String())
	}
	defer cs.Close()

	// DNS rebinding, as the conformance suite probes it.
	initBody := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"conformance","version":"0"}}}`
	for _, tc := range []struct {
		host, origin string
		refused      bool
	}{
		{fmt.Sprintf("localhost:%d", port), fmt.Sprintf("http://localhost:%d", port), false},
		{fmt.Sprintf("127.0.0.1:%d", port), fmt.Sprintf("http://127.0.0.1:%d", port), false},
		{"evil.example", "http://evil.example", true},
		{fmt.Sprintf("localhost:%d", port), "http://evil.example", true},
	} {
		req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(initBody))
		req.Host = tc.host
		req.Header.Set("Origin", tc.origin)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("X-Api-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if refused := resp.StatusCode == http.StatusForbidden; refused != tc.refused {
			t.Errorf("Host %s, Origin %s: status %d, want refused=%v", tc.host, tc.origin, resp.StatusCode, tc.refused)
		}
	}

	// A 15 s call; once it reports progress (which streamed through the proxy as it
	// happened), a reload replaces the server while it runs.
	type reply struct {
		res *mcp.CallToolResult
		err error
	}
	got := make(chan reply, 1)
	go func() {
		params := &mcp.CallToolParams{Name: "long_task", Arguments: map[string]any{"seconds": 15}}
		params.SetProgressToken("reload")
		res, err := cs.CallTool(context.Background(), params)
		got <- reply{res, err}
	}()
	<-progress
	hello := filepath.Join(dir, "tools", "hello.go")
	src, _ := os.ReadFile(hello)
	os.WriteFile(hello, []byte(strings.Replace(string(src), `"Hello, "`, `"Hi, "`, 1)), 0o644)
	for reloaded := false; !reloaded; {
		select {
		case r := <-got:
			t.Fatalf("the call ended before the reload was served: %v %+v\n%s", r.err, r.res, logs.String())
		case <-time.After(100 * time.Millisecond):
		}
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "say_hello", Arguments: map[string]any{"name": "Ada"}})
		reloaded = err == nil && res.Content[0].(*mcp.TextContent).Text == "Hi, Ada!"
	}
	r := <-got
	if r.err != nil || r.res.IsError || !strings.Contains(r.res.Content[0].(*mcp.TextContent).Text, "done after 15s") {
		t.Fatalf("call in flight during the reload: %v %+v\n%s", r.err, r.res, logs.String())
	}
}
