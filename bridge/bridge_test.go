package bridge

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

const testKey = "mcpk_test0000000000000000000000000000000000000"

// server is a go-sdk Streamable HTTP server behind an x-api-key check, recording what
// reached it.
type server struct {
	*httptest.Server
	mcp *mcp.Server

	mu       sync.Mutex
	requests []recorded
}

type recorded struct {
	method, key, version, session string
	body                          []byte
}

func (s *server) seen() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.requests...)
}

type helloIn struct {
	Name string `json:"name"`
}

func newServer(t *testing.T, opts *mcp.StreamableHTTPOptions) *server {
	t.Helper()
	ms := mcp.NewServer(&mcp.Implementation{Name: "test-server", Version: "1.0.0"}, nil)
	mcp.AddTool(ms, &mcp.Tool{Name: "say_hello", Description: "greets"},
		func(ctx context.Context, req *mcp.CallToolRequest, in helloIn) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "Hello, " + in.Name + "!"}}}, nil, nil
		})
	mcp.AddTool(ms, &mcp.Tool{Name: "slow", Description: "answers after a while"},
		func(ctx context.Context, req *mcp.CallToolRequest, in struct{}) (*mcp.CallToolResult, any, error) {
			timer := time.NewTimer(300 * time.Millisecond)
			defer timer.Stop()
			select {
			case <-timer.C:
			case <-ctx.Done():
				return nil, nil, ctx.Err()
			}
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "done"}}}, nil, nil
		})
	// ask makes a server-to-client request (elicitation) in the middle of a call.
	mcp.AddTool(ms, &mcp.Tool{Name: "ask", Description: "asks the user"},
		func(ctx context.Context, req *mcp.CallToolRequest, in struct{}) (*mcp.CallToolResult, any, error) {
			res, err := req.Session.Elicit(ctx, &mcp.ElicitParams{
				Mode:    "form",
				Message: "Your name?",
				RequestedSchema: map[string]any{
					"type":       "object",
					"properties": map[string]any{"name": map[string]any{"type": "string"}},
				},
			})
			if err != nil {
				return nil, nil, err
			}
			name, _ := res.Content["name"].(string)
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: res.Action + ":" + name}}}, nil, nil
		})
	handler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return ms }, opts)
	s := &server{mcp: ms}
	mux := http.NewServeMux()
	mux.HandleFunc("/mcp", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.mu.Lock()
		s.requests = append(s.requests, recorded{
			method:  r.Method,
			key:     r.Header.Get("x-api-key"),
			version: r.Header.Get("Mcp-Protocol-Version"),
			session: r.Header.Get("Mcp-Session-Id"),
			body:    body,
		})
		s.mu.Unlock()
		if r.Header.Get("x-api-key") != testKey {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"unauthorized"}`)
			return
		}
		handler.ServeHTTP(w, r)
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// running is a bridge on in-process pipes.
type running struct {
	toBridge   *io.PipeWriter // the client's stdout, the bridge's stdin
	fromBridge *io.PipeReader // the bridge's stdout
	done       chan error
}

func startBridge(t *testing.T, ctx context.Context, b *Bridge) *running {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	if b.Logger == nil {
		b.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	r := &running{toBridge: inW, fromBridge: outR, done: make(chan error, 1)}
	go func() {
		err := b.Run(ctx, inR, outW)
		outW.CloseWithError(io.EOF)
		r.done <- err
	}()
	t.Cleanup(func() {
		inW.Close()
		outR.Close()
		select {
		case <-r.done:
		case <-time.After(10 * time.Second):
			t.Error("bridge did not stop")
		}
	})
	return r
}

// client connects a go-sdk client to the bridge's stdio side.
func (r *running) client(t *testing.T, ctx context.Context, opts *mcp.ClientOptions) (*mcp.ClientSession, error) {
	t.Helper()
	c := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "1.0.0"}, opts)
	return c.Connect(ctx, &mcp.IOTransport{Reader: r.fromBridge, Writer: r.toBridge}, nil)
}

func (r *running) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.done:
		r.done <- err
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("bridge did not stop")
		return nil
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func keyHeader() http.Header {
	h := http.Header{}
	h.Set("x-api-key", testKey)
	return h
}

func checkTools(t *testing.T, ctx context.Context, cs *mcp.ClientSession) {
	t.Helper()
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatalf("tools/list through the bridge: %v", err)
	}
	var names []string
	for _, tool := range tools.Tools {
		names = append(names, tool.Name)
	}
	if strings.Join(names, ",") != "ask,say_hello,slow" {
		t.Fatalf("tools = %v", names)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "say_hello", Arguments: map[string]any{"name": "Ada"}})
	if err != nil {
		t.Fatalf("tools/call through the bridge: %v", err)
	}
	if res.IsError || len(res.Content) != 1 || res.Content[0].(*mcp.TextContent).Text != "Hello, Ada!" {
		t.Fatalf("tools/call result = %+v", res)
	}
}

func TestBridgeForwardsToolsStateless(t *testing.T) {
	ctx := testContext(t)
	srv := newServer(t, &mcp.StreamableHTTPOptions{Stateless: true})
	r := startBridge(t, ctx, &Bridge{URL: srv.URL + "/mcp", Header: keyHeader()})
	cs, err := r.client(t, ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkTools(t, ctx, cs)
	if err := cs.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.wait(t); err != nil {
		t.Fatalf("bridge after stdin EOF: %v", err)
	}
	for _, req := range srv.seen() {
		if req.key != testKey {
			t.Errorf("%s request without the key", req.method)
		}
	}
}

func TestBridgeForwardsToolsStateful(t *testing.T) {
	for _, jsonResponse := range []bool{false, true} {
		t.Run(map[bool]string{false: "sse", true: "json"}[jsonResponse], func(t *testing.T) {
			ctx := testContext(t)
			srv := newServer(t, &mcp.StreamableHTTPOptions{JSONResponse: jsonResponse})
			r := startBridge(t, ctx, &Bridge{URL: srv.URL + "/mcp", Header: keyHeader()})
			changed := make(chan struct{}, 1)
			cs, err := r.client(t, ctx, &mcp.ClientOptions{
				ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) {
					select {
					case changed <- struct{}{}:
					default:
					}
				},
				ElicitationHandler: func(context.Context, *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
					return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"name": "Ada"}}, nil
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			checkTools(t, ctx, cs)

			// The server's elicitation request rides the call's event stream, or with JSON
			// responses the standalone stream; the client's answer goes back as a POST.
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "ask"})
			if err != nil || res.IsError || res.Content[0].(*mcp.TextContent).Text != "accept:Ada" {
				t.Fatalf("elicitation round trip through the bridge: %+v, %v", res, err)
			}

			// A notification that belongs to no request travels on the standalone
			// stream, which the bridge opens itself.
			waitFor(t, ctx, func() bool {
				for _, req := range srv.seen() {
					if req.method == http.MethodGet {
						return true
					}
				}
				return false
			})
			srv.mcp.AddTool(&mcp.Tool{Name: "late", InputSchema: map[string]any{"type": "object"}},
				func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
					return &mcp.CallToolResult{}, nil
				})
			select {
			case <-changed:
			case <-ctx.Done():
				t.Fatal("notifications/tools/list_changed did not reach the client")
			}

			if err := cs.Close(); err != nil {
				t.Fatal(err)
			}
			if err := r.wait(t); err != nil {
				t.Fatalf("bridge after stdin EOF: %v", err)
			}

			var initialized, deleted bool
			for _, req := range srv.seen() {
				if req.key != testKey {
					t.Errorf("%s request without the key", req.method)
				}
				if req.method == http.MethodDelete {
					deleted = true
				}
				if bytes.Contains(req.body, []byte(`"notifications/initialized"`)) {
					initialized = true
					if req.version == "" || req.session == "" {
						t.Errorf("notifications/initialized went without protocol version (%q) or session (%q)", req.version, req.session)
					}
				}
			}
			if !initialized {
				t.Error("the server never saw notifications/initialized")
			}
			if !deleted {
				t.Error("the bridge did not end the HTTP session on stdin EOF")
			}
		})
	}
}

func waitFor(t *testing.T, ctx context.Context, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatal("condition not met before the deadline")
		case <-tick.C:
		}
	}
}

func TestBridgeWrongKey(t *testing.T) {
	ctx := testContext(t)
	srv := newServer(t, &mcp.StreamableHTTPOptions{Stateless: true})
	h := http.Header{}
	h.Set("x-api-key", "mcpk_wrong")
	r := startBridge(t, ctx, &Bridge{URL: srv.URL + "/mcp", Header: h, AuthHint: "check MCP_API_KEY in .env"})
	_, err := r.client(t, ctx, nil)
	if err == nil {
		t.Fatal("connected with a wrong key")
	}
	if !strings.Contains(err.Error(), "rejected the credentials; check MCP_API_KEY in .env") {
		t.Errorf("client error = %v, want a hint about the key", err)
	}
	r.toBridge.Close()
	if err := r.wait(t); err == nil {
		t.Error("bridge ended cleanly after the server refused the key")
	}
}

// With no key at all, a 401 is not "rejected credentials": none were sent.
func TestBridgeNoKey(t *testing.T) {
	ctx := testContext(t)
	srv := newServer(t, &mcp.StreamableHTTPOptions{Stateless: true})
	r := startBridge(t, ctx, &Bridge{URL: srv.URL + "/mcp", Header: http.Header{}})
	_, err := r.client(t, ctx, nil)
	if err == nil || !strings.Contains(err.Error(), "none were sent") || strings.Contains(err.Error(), "rejected the credentials") {
		t.Fatalf("client error = %v", err)
	}
	r.toBridge.Close()
	if err := r.wait(t); err == nil {
		t.Error("bridge ended cleanly after the server refused it")
	}
}

// TestBridgeRawMessages drives the bridge with hand-written lines: unknown fields and
// methods pass through unchanged, and answers to requests sent just before stdin closes
// still arrive.
func TestBridgeRawMessages(t *testing.T) {
	ctx := testContext(t)
	srv := newServer(t, &mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true})
	r := startBridge(t, ctx, &Bridge{URL: srv.URL + "/mcp", Header: keyHeader()})

	lines := []string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"0"},"x-unknown":{"kept":[1,2,3]}}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized","params":{}}`,
		`{"jsonrpc":"2.0","id":"custom","method":"vendor/unknown","params":{"a":1}}`,
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"slow","arguments":{}}}`,
	}
	go func() {
		for _, l := range lines {
			if _, err := io.WriteString(r.toBridge, l+"\n"); err != nil {
				return
			}
		}
		r.toBridge.Close() // EOF right behind the slow call
	}()

	got := map[string]json.RawMessage{}
	sc := bufio.NewScanner(r.fromBridge)
	for sc.Scan() {
		var msg struct {
			ID     json.RawMessage `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &msg); err != nil {
			t.Fatalf("bridge wrote %q: %v", sc.Text(), err)
		}
		got[string(msg.ID)] = append(msg.Result, msg.Error...)
	}
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(got["1"], []byte(`"protocolVersion":"2025-06-18"`)) {
		t.Errorf("initialize answer = %s", got["1"])
	}
	// go-sdk servers refuse unknown methods with a plain 400; the client gets that as the
	// call's error and the session carries on (the slow call below still goes through).
	if !bytes.Contains(got[`"custom"`], []byte(`vendor/unknown`)) || !bytes.Contains(got[`"custom"`], []byte(`HTTP 400`)) {
		t.Errorf("unknown method answer = %s, want the server's refusal", got[`"custom"`])
	}
	if !bytes.Contains(got["3"], []byte(`"done"`)) {
		t.Errorf("slow call answer = %s, want it delivered after stdin EOF", got["3"])
	}
	var sawUnknown bool
	for _, req := range srv.seen() {
		if bytes.Contains(req.body, []byte(`"x-unknown":{"kept":[1,2,3]}`)) {
			sawUnknown = true
		}
		if bytes.Contains(req.body, []byte(`"tools/call"`)) && req.version != "2025-06-18" {
			t.Errorf("tools/call sent with protocol version header %q, want the negotiated 2025-06-18", req.version)
		}
	}
	if !sawUnknown {
		t.Error("an unknown field did not reach the server unchanged")
	}
}

func TestBridgeServerGone(t *testing.T) {
	ctx := testContext(t)
	srv := newServer(t, &mcp.StreamableHTTPOptions{Stateless: true})
	url := srv.URL + "/mcp"
	srv.Close()
	r := startBridge(t, ctx, &Bridge{URL: url, Header: keyHeader()})
	_, err := r.client(t, ctx, nil)
	if err == nil || !strings.Contains(err.Error(), "mcpctl bridge") {
		t.Fatalf("client error = %v, want one from the bridge", err)
	}
}

func TestCheckURL(t *testing.T) {
	for _, tc := range []struct {
		url   string
		creds bool
		ok    bool
	}{
		{"https://example.com/mcp", true, true},
		{"http://127.0.0.1:8000/mcp", true, true},
		{"http://localhost:8000/mcp", true, true},
		{"http://[::1]:8000/mcp", true, true},
		{"http://example.com/mcp", false, true},
		{"http://example.com/mcp", true, false},
		{"ftp://example.com/mcp", false, false},
		{"example.com/mcp", false, false},
	} {
		_, err := checkURL(tc.url, tc.creds)
		if (err == nil) != tc.ok {
			t.Errorf("checkURL(%q, %v) = %v", tc.url, tc.creds, err)
		}
	}
}

func TestHeaderTransportKeepsKeyOnOrigin(t *testing.T) {
	var gotKey, gotVersion string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotKey = r.Header.Get("x-api-key")
	}))
	defer other.Close()
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotVersion = r.Header.Get(protocolVersionHeader)
		http.Redirect(w, r, other.URL+"/elsewhere", http.StatusFound)
	}))
	defer origin.Close()
	b := &Bridge{Header: keyHeader()}
	u, _ := checkURL(origin.URL, true)
	c := b.client(u, &session{version: "2025-11-25"})
	resp, err := c.Get(origin.URL + "/mcp")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if gotVersion != "2025-11-25" {
		t.Errorf("protocol version header = %q", gotVersion)
	}
	if gotKey != "" {
		t.Errorf("the key followed a redirect to another origin")
	}
}

func TestRunRejectsBadURL(t *testing.T) {
	err := Run(context.Background(), "http://example.com/mcp", keyHeader(), strings.NewReader(""), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Errorf("Run = %v", err)
	}
}
