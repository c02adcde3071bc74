package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpctl/mcpctl/internal/iostreams"
	"github.com/mcpctl/mcpctl/toolsurface"
)

type helloIn struct {
	Name string `json:"name"`
}

// deployedServer is an MCP server with say_hello(name), guarded by an API key.
func deployedServer(t *testing.T) string {
	t.Helper()
	srv := mcp.NewServer(&mcp.Implementation{Name: "deployed", Version: "1"}, nil)
	mcp.AddTool(srv, &mcp.Tool{Name: "say_hello"}, func(context.Context, *mcp.CallToolRequest, helloIn) (*mcp.CallToolResult, any, error) {
		return nil, nil, nil
	})
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, &mcp.StreamableHTTPOptions{Stateless: true})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-api-key") != "k" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts.URL + "/mcp"
}

func TestSurfaceGate(t *testing.T) {
	endpoint := deployedServer(t)
	renamed := []toolsurface.Tool{{Name: "say_hello", InputSchema: json.RawMessage(`{"type":"object","properties":{"who":{"type":"string"}},"required":["who"],"additionalProperties":false}`)}}
	same := func(ctx context.Context) ([]toolsurface.Tool, error) {
		return toolsurface.Fetch(ctx, endpoint, http.Header{"X-Api-Key": {"k"}}, nil)
	}
	for _, tc := range []struct {
		name    string
		local   []toolsurface.Tool // nil: the same tools as deployed
		tty     bool
		answer  string
		allow   bool
		dryRun  bool
		wantErr error // nil: the deploy goes on
		stderr  string
	}{
		{name: "unchanged", stderr: "no changes to the tools"},
		{name: "breaking without a terminal", local: renamed, wantErr: errBreakingRefused, stderr: "say_hello input.who: new required argument"},
		{name: "breaking, allowed", local: renamed, allow: true, stderr: "(breaking)"},
		{name: "breaking, dry run", local: renamed, dryRun: true, stderr: "a real deploy needs --allow-breaking"},
		{name: "breaking, yes on a terminal", local: renamed, tty: true, answer: "y\n", stderr: "Deploy anyway? [y/N]"},
		{name: "breaking, no on a terminal", local: renamed, tty: true, answer: "\n", wantErr: ErrCancelled},
		{name: "compatible", local: append(renamed[:0:0], toolsurface.Tool{Name: "say_hello", InputSchema: json.RawMessage(`{"type":"object","properties":{"name":{"type":"string"},"x":{"type":"string"}},"additionalProperties":false}`)}), stderr: "compatible"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ios, in, _, errOut := iostreams.Test()
			ios.SetTTY(tc.tty)
			in.WriteString(tc.answer)
			local := same
			if tc.local != nil {
				local = func(context.Context) ([]toolsurface.Tool, error) { return tc.local, nil }
			}
			g := &surfaceGate{IO: ios, Key: "k", Allow: tc.allow, DryRun: tc.dryRun, Local: local,
				Endpoint: func(context.Context) (string, error) { return endpoint, nil }}
			err := g.run(context.Background())
			if (tc.wantErr == nil) != (err == nil) || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) {
				t.Fatalf("err %v, want %v\n%s", err, tc.wantErr, errOut)
			}
			if !strings.Contains(errOut.String(), tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, errOut)
			}
			if tc.wantErr == errBreakingRefused {
				var h Hinter
				if !errors.As(err, &h) || !strings.Contains(h.Hint(), "--allow-breaking") {
					t.Errorf("no hint naming --allow-breaking: %v", err)
				}
			}
		})
	}
	// Nothing deployed, or a server that cannot be listed: the deploy goes on, saying so.
	ios, _, _, errOut := iostreams.Test()
	g := &surfaceGate{IO: ios, Endpoint: func(context.Context) (string, error) { return "", errors.New("app not found") }}
	if err := g.run(context.Background()); err != nil || !strings.Contains(errOut.String(), "nothing deployed to compare with") {
		t.Errorf("no app: %v\n%s", err, errOut)
	}
	ios, _, _, errOut = iostreams.Test()
	g = &surfaceGate{IO: ios, Key: "wrong", Endpoint: func(context.Context) (string, error) { return endpoint, nil }}
	if err := g.run(context.Background()); err != nil || !strings.Contains(errOut.String(), "could not list the deployed tools") {
		t.Errorf("wrong key: %v\n%s", err, errOut)
	}
}
