package devproxy

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mcpctl/mcpctl/internal/mcptest"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// A generation here is a go-sdk MCP server on its own httptest server: a new one has no
// memory of the sessions of the one before, as a rebuilt process.
type generation struct {
	gen    int
	srv    *httptest.Server
	server *mcp.Server
}

type helloIn struct {
	Name string `json:"name"`
}

func mcpGeneration(t *testing.T, gen int, greeting string, stateless bool, extraTools ...string) *generation {
	t.Helper()
	s := mcp.NewServer(&mcp.Implementation{Name: "fake", Version: "v" + strconv.Itoa(gen)}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "say_hello", Description: "greets"}, func(ctx context.Context, r *mcp.CallToolRequest, in helloIn) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: greeting + ", " + in.Name + "!"}}}, nil, nil
	})
	for _, name := range extraTools {
		addTool(s, name)
	}
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, &mcp.StreamableHTTPOptions{Stateless: stateless})
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		// As a process exiting would: Close alone waits for GET streams, which never end.
		srv.CloseClientConnections()
		srv.Close()
	})
	return &generation{gen: gen, srv: srv, server: s}
}

func addTool(s *mcp.Server, name string) {
	mcp.AddTool(s, &mcp.Tool{Name: name, Description: "extra"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: name}}}, nil, nil
	})
}

// Tests close their client sessions (defer) while the current generation still runs:
// closing sends DELETE, which waits for a generation.

// swap does what the runner does with a new healthy generation: prepare, activate, then
// retire the old one once its requests are done and stop its "process".
func swap(t *testing.T, p *Proxy, old, next *generation) *Backend {
	t.Helper()
	nb := p.Prepare(context.Background(), next.gen, strings.TrimPrefix(next.srv.URL, "http://"))
	if ob := p.Activate(nb); ob != nil {
		<-p.Retire(ob)
		old.srv.CloseClientConnections()
		ob.CloseIdleConnections()
	}
	return nb
}

func hello(ctx context.Context, cs *mcp.ClientSession, name string) (string, error) {
	return mcptest.CallText(ctx, cs, "say_hello", map[string]any{"name": name})
}

// A stateful session outlives the process that created it: the client keeps its id, its
// calls reach the new code, its GET stream moves to the new generation (the new server's
// own notifications arrive on it), and it hears tools/list_changed when a reload changed
// the tools, and only then.
func TestStatefulSessionFollowsGenerations(t *testing.T) {
	t.Parallel()
	p, front := testProxy(t)
	streams := make(chan int, 10)
	p.streamOpened = func(gen int) { streams <- gen }
	ctx := context.Background()

	g1 := mcpGeneration(t, 1, "Hello", false)
	swap(t, p, nil, g1)
	toolsChanged := make(chan struct{}, 10)
	cs := mcptest.Connect(t, front.URL+"/", mcptest.Options{StandaloneSSE: true, Client: &mcp.ClientOptions{
		ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) { toolsChanged <- struct{}{} },
	}})
	defer cs.Close()
	sid := cs.ID()
	if sid == "" {
		t.Fatal("stateful server gave no session id")
	}
	if gen := <-streams; gen != 1 {
		t.Fatalf("GET stream relayed from generation %d", gen)
	}
	if got, err := hello(ctx, cs, "Ada"); err != nil || got != "Hello, Ada!" {
		t.Fatalf("generation 1: %q, %v", got, err)
	}

	// Same tools: the session is carried eagerly (it holds a GET stream), no list_changed.
	g2 := mcpGeneration(t, 2, "Hi", false)
	if b := swap(t, p, g1, g2); b.Carried() != 1 || b.ToolsChanged() != 0 {
		t.Errorf("generation 2: %d sessions carried, %d with changed tools; want 1, 0", b.Carried(), b.ToolsChanged())
	}
	if gen := <-streams; gen != 2 {
		t.Fatalf("GET stream moved to generation %d, want 2", gen)
	}
	if got, err := hello(ctx, cs, "Ada"); err != nil || got != "Hi, Ada!" {
		t.Fatalf("generation 2: %q, %v", got, err)
	}
	if cs.ID() != sid {
		t.Fatalf("session id changed from %s to %s", sid, cs.ID())
	}
	// Only generation 2's stream can carry this one (generation 1 is gone).
	addTool(g2.server, "late_tool")
	<-toolsChanged

	// A reload that adds a tool: the proxy tells the client.
	g3 := mcpGeneration(t, 3, "Howdy", false, "late_tool", "brand_new_tool")
	if b := swap(t, p, g2, g3); b.Carried() != 1 || b.ToolsChanged() != 1 {
		t.Errorf("generation 3: %d sessions carried, %d with changed tools; want 1, 1", b.Carried(), b.ToolsChanged())
	}
	<-toolsChanged
	res, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	if !slices.Contains(names, "brand_new_tool") {
		t.Errorf("tools after reload: %v", names)
	}
	if got, err := hello(ctx, cs, "Ada"); err != nil || got != "Howdy, Ada!" || cs.ID() != sid {
		t.Fatalf("generation 3: %q, %v, session %s", got, err, cs.ID())
	}
}

// A session without a GET stream is carried on its next request, not eagerly; one the
// client deleted is not carried at all.
func TestSessionCarriedLazilyAndDeleted(t *testing.T) {
	t.Parallel()
	p, front := testProxy(t)
	ctx := context.Background()
	g1 := mcpGeneration(t, 1, "Hello", false)
	swap(t, p, nil, g1)
	cs := mcptest.Connect(t, front.URL+"/", mcptest.Options{})
	defer cs.Close()
	gone := mcptest.Connect(t, front.URL+"/", mcptest.Options{})
	if err := gone.Close(); err != nil { // DELETE on generation 1
		t.Fatal(err)
	}
	g2 := mcpGeneration(t, 2, "Hi", false)
	if b := swap(t, p, g1, g2); b.Carried() != 0 {
		t.Errorf("%d sessions carried eagerly, want 0 (none holds a GET stream)", b.Carried())
	}
	if got, err := hello(ctx, cs, "Ada"); err != nil || got != "Hi, Ada!" {
		t.Fatalf("generation 2: %q, %v", got, err)
	}
	if n := len(p.sessions.all()); n != 1 {
		t.Errorf("proxy remembers %d sessions, want 1", n)
	}
}

// A session that cannot be re-created on the new generation (here: the rebuilt server
// turned stateless) is reported as SessionLost while the generation is prepared.
func TestSessionLostIsReported(t *testing.T) {
	t.Parallel()
	lost := make(chan SessionLost, 1)
	p := New(Options{OnEvent: func(ev Event) {
		if ev, ok := ev.(SessionLost); ok {
			lost <- ev
		}
	}})
	streams := make(chan int, 10)
	p.streamOpened = func(gen int) { streams <- gen }
	front := httptest.NewServer(p)
	t.Cleanup(front.Close)
	g1 := mcpGeneration(t, 1, "Hello", false)
	swap(t, p, nil, g1)
	cs := mcptest.Connect(t, front.URL+"/", mcptest.Options{StandaloneSSE: true})
	defer cs.Close()
	<-streams
	b := swap(t, p, g1, mcpGeneration(t, 2, "Hi", true))
	ev := <-lost
	if b.Carried() != 0 || ev.SessionID != cs.ID() || ev.Gen != 2 || !strings.Contains(ev.Error(), "stateless") {
		t.Errorf("carried %d; event %+v (%v)", b.Carried(), ev, ev)
	}
}

// Concurrent tool calls running across several swaps of generations all succeed, in both
// protocol eras and both session modes; half of the clients hold a GET stream.
func TestNoFailedRequestsAcrossGenerations(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		stateless bool
		version   string
	}{
		{"stateless 2026-07-28", true, "2026-07-28"},
		{"stateless 2025-11-25", true, "2025-11-25"},
		{"stateful 2025-11-25", false, "2025-11-25"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			served := make(chan int, 1024) // generations that answered a say_hello
			p := New(Options{OnEvent: func(ev Event) {
				if r, ok := ev.(Request); ok && r.Tool == "say_hello" && r.Status == http.StatusOK {
					select {
					case served <- r.Gen:
					default:
					}
				}
			}})
			front := httptest.NewServer(p)
			t.Cleanup(front.Close)
			cur := mcpGeneration(t, 1, "Hello", tc.stateless)
			swap(t, p, nil, cur)
			var sessions []*mcp.ClientSession
			for w := range 4 { // half of them hold a GET stream
				cs := mcptest.Connect(t, front.URL+"/", mcptest.Options{Version: tc.version, StandaloneSSE: w%2 == 0})
				defer cs.Close()
				sessions = append(sessions, cs)
			}
			res := mcptest.Load(sessions, mcptest.Hello, func() {
				for gen := 2; gen <= 4; gen++ {
					// Let calls run on the current generation before replacing it.
					for n := 0; n < 5; {
						if <-served == gen-1 {
							n++
						}
					}
					next := mcpGeneration(t, gen, "Reload"+strconv.Itoa(gen), tc.stateless)
					swap(t, p, cur, next)
					cur = next
				}
			})
			if res.Failed > 0 {
				t.Fatalf("%d of %d requests failed; first: %v", res.Failed, res.OK+res.Failed, res.FirstErr)
			}
		})
	}
}
