// Package mcptest is the client side of tests that talk MCP to a server over HTTP: connect
// with the go-sdk client, call a tool for its text, keep sessions busy under load.
package mcptest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Options configure Connect. The zero value connects with the SDK's default protocol
// version and no GET stream.
type Options struct {
	Version       string // protocol version to ask for, e.g. "2025-11-25"; "" for the SDK's
	StandaloneSSE bool   // open the session's GET stream (server-to-client messages)
	Client        *mcp.ClientOptions
}

// Connect opens a client session on url or fails the test. The caller closes it.
func Connect(t testing.TB, url string, o Options) *mcp.ClientSession {
	t.Helper()
	transport := &mcp.StreamableClientTransport{
		Endpoint:             url,
		HTTPClient:           &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
		MaxRetries:           1,
		DisableStandaloneSSE: !o.StandaloneSSE,
	}
	var so *mcp.ClientSessionOptions
	if o.Version != "" {
		so = &mcp.ClientSessionOptions{ProtocolVersion: o.Version}
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "mcpctl-test", Version: "v0"}, o.Client).Connect(context.Background(), transport, so)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// CallText calls tool and returns the text of its first content item.
func CallText(ctx context.Context, cs *mcp.ClientSession, tool string, args any) (string, error) {
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		return "", err
	}
	if res.IsError || len(res.Content) == 0 {
		return "", fmt.Errorf("tool error: %+v", res.Content)
	}
	tc, ok := res.Content[0].(*mcp.TextContent)
	if !ok {
		return "", fmt.Errorf("unexpected content %T", res.Content[0])
	}
	return tc.Text, nil
}

// LoadResult counts the calls Load made.
type LoadResult struct {
	OK, Failed int64
	FirstErr   error
}

// Load calls call in a loop on each session, one goroutine each, from when every session
// has finished its first call until during returns.
func Load(sessions []*mcp.ClientSession, call func(context.Context, *mcp.ClientSession) error, during func()) LoadResult {
	ctx, stop := context.WithCancel(context.Background())
	var ok, failed atomic.Int64
	var once sync.Once
	var firstErr error
	var wg sync.WaitGroup
	started := make(chan struct{}, len(sessions))
	for _, cs := range sessions {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				err := call(ctx, cs)
				if i == 0 {
					started <- struct{}{}
				}
				switch {
				case ctx.Err() != nil:
				case err != nil:
					failed.Add(1)
					once.Do(func() { firstErr = err })
				default:
					ok.Add(1)
				}
			}
		})
	}
	for range sessions {
		<-started
	}
	during()
	stop()
	wg.Wait()
	return LoadResult{OK: ok.Load(), Failed: failed.Load(), FirstErr: firstErr}
}

// Hello is a Load call for the test servers' say_hello tool: it must answer "…, w!".
func Hello(ctx context.Context, cs *mcp.ClientSession) error {
	got, err := CallText(ctx, cs, "say_hello", map[string]any{"name": "w"})
	if err == nil && !strings.HasSuffix(got, ", w!") {
		err = fmt.Errorf("say_hello answered %q", got)
	}
	return err
}
