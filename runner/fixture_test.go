package runner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpctl/mcpctl/internal/mcptest"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The fixture is a small MCP server module written into a temp dir, standing in for a
// project made by `mcpctl init`: go-sdk Streamable HTTP on MCP_LISTEN_ADDR, GET /health,
// stateless unless MCP_STATELESS=false, graceful on SIGTERM. Tests edit greeting.go.

const fixtureGoMod = `module example.com/fixture

go 1.25.0

require github.com/modelcontextprotocol/go-sdk v1.8.0

require (
	github.com/google/jsonschema-go v0.4.3 // indirect
	github.com/segmentio/asm v1.1.3 // indirect
	github.com/segmentio/encoding v0.5.4 // indirect
	github.com/yosida95/uritemplate/v3 v3.0.2 // indirect
	golang.org/x/oauth2 v0.35.0 // indirect
	golang.org/x/sync v0.20.0 // indirect
	golang.org/x/sys v0.41.0 // indirect
	golang.org/x/time v0.15.0 // indirect
)
`

const fixtureMain = `package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type helloIn struct {
	Name string ` + "`json:\"name\"`" + `
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	s := mcp.NewServer(&mcp.Implementation{Name: "fixture", Version: "v0"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "say_hello", Description: "greets"}, func(ctx context.Context, r *mcp.CallToolRequest, in helloIn) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: greeting + ", " + in.Name + "!"}}}, nil, nil
	})
	mcp.AddTool(s, &mcp.Tool{Name: "crash", Description: "exits"}, func(ctx context.Context, r *mcp.CallToolRequest, in struct{}) (*mcp.CallToolResult, any, error) {
		fmt.Fprintln(os.Stderr, "fixture: crashing on purpose")
		os.Exit(3)
		return nil, nil, nil
	})
	if extraTool != "" {
		mcp.AddTool(s, &mcp.Tool{Name: extraTool, Description: "extra"}, func(ctx context.Context, r *mcp.CallToolRequest, in struct{}) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "extra"}}}, nil, nil
		})
	}
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, &mcp.StreamableHTTPOptions{
		Stateless: os.Getenv("MCP_STATELESS") != "false",
	})
	mux := http.NewServeMux()
	mux.Handle("/mcp", h)
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	srv := &http.Server{Addr: os.Getenv("MCP_LISTEN_ADDR"), Handler: mux}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	fmt.Fprintln(os.Stderr, "fixture: listening on", srv.Addr)
	select {
	case err := <-errc:
		fmt.Fprintln(os.Stderr, "fixture:", err)
		os.Exit(1)
	case <-ctx.Done():
	}
	for ss := range s.Sessions() {
		ss.Close()
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		os.Exit(1)
	}
}
`

func greetingSource(greeting, extraTool string) string {
	return fmt.Sprintf("package main\n\nconst greeting = %q\n\nconst extraTool = %q\n", greeting, extraTool)
}

// writeFixture creates the fixture module in a new temp dir and returns the dir.
func writeFixture(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	sum, err := os.ReadFile(filepath.Join("..", "go.sum")) // a superset of what the fixture needs
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"go.mod":      fixtureGoMod,
		"go.sum":      string(sum),
		"main.go":     fixtureMain,
		"greeting.go": greetingSource("Hello", ""),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func setGreeting(t testing.TB, dir, greeting, extraTool string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "greeting.go"), []byte(greetingSource(greeting, extraTool)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// eventLog records every event of a runner so tests can wait for one.
type eventLog struct {
	mu      sync.Mutex
	events  []Event
	changed chan struct{} // closed and replaced on every append
	closed  bool
}

func collect(r *Runner) *eventLog {
	l := &eventLog{changed: make(chan struct{})}
	go func() {
		for ev := range r.Events() {
			l.mu.Lock()
			l.events = append(l.events, ev)
			close(l.changed)
			l.changed = make(chan struct{})
			l.mu.Unlock()
		}
		l.mu.Lock()
		l.closed = true
		close(l.changed)
		l.mu.Unlock()
	}()
	return l
}

// waitFor returns the first event at index >= *from that matches, and moves *from past
// it. The timeout only bounds a broken test; synchronisation is by event.
func waitFor[E Event](t testing.TB, l *eventLog, from *int, match func(E) bool) E {
	t.Helper()
	deadline := time.NewTimer(3 * time.Minute)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		for i := *from; i < len(l.events); i++ {
			if e, ok := l.events[i].(E); ok && (match == nil || match(e)) {
				*from = i + 1
				l.mu.Unlock()
				return e
			}
		}
		ch, closed := l.changed, l.closed
		l.mu.Unlock()
		if closed {
			t.Fatalf("event stream ended while waiting for %T; events:\n%s", *new(E), l.dump())
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %T; events:\n%s", *new(E), l.dump())
		}
	}
}

func (l *eventLog) all() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Event(nil), l.events...)
}

func (l *eventLog) dump() string {
	var b strings.Builder
	for _, ev := range l.all() {
		if _, ok := ev.(Request); ok {
			continue
		}
		fmt.Fprintf(&b, "  %T %+v\n", ev, ev)
	}
	return b.String()
}

// startFixture runs the runner on dir until the test ends, waits for the first Ready, and
// checks at cleanup that every child is gone.
func startFixture(t *testing.T, dir string, opts Options) (*Runner, *eventLog, context.CancelFunc) {
	t.Helper()
	opts.Dir = dir
	ctx, cancel := context.WithCancel(context.Background())
	r, err := Start(ctx, opts)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	l := collect(r)
	t.Cleanup(func() {
		cancel()
		if err := r.Wait(); err != nil {
			t.Errorf("Wait: %v", err)
		}
		for _, ev := range l.all() {
			if cs, ok := ev.(ChildStarted); ok && processAlive(cs.PID) {
				t.Errorf("child %d (generation %d) still running after shutdown", cs.PID, cs.Gen)
			}
		}
	})
	return r, l, cancel
}

// connect opens a go-sdk client session through the dev proxy, closed when the test ends
// (before the runner stops: cleanups run last-registered first).
func connect(t testing.TB, url string, opts *mcp.ClientOptions, standaloneSSE bool) *mcp.ClientSession {
	t.Helper()
	cs := mcptest.Connect(t, url, mcptest.Options{Client: opts, StandaloneSSE: standaloneSSE})
	t.Cleanup(func() { cs.Close() })
	return cs
}

func hello(ctx context.Context, cs *mcp.ClientSession, name string) (string, error) {
	return mcptest.CallText(ctx, cs, "say_hello", map[string]any{"name": name})
}

// runLoad keeps `workers` client sessions, half of them holding a GET stream, calling
// say_hello until during returns.
func runLoad(t testing.TB, url string, workers int, during func()) mcptest.LoadResult {
	var sessions []*mcp.ClientSession
	for w := range workers {
		sessions = append(sessions, connect(t, url, nil, w%2 == 0))
	}
	return mcptest.Load(sessions, mcptest.Hello, during)
}
