package cmd

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpctl/mcpctl/internal/iostreams"
)

const bridgeTestKey = "mcpk_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"

func executeBridge(t *testing.T, f *Factory, runF func(context.Context, *bridgeOptions) error, args ...string) error {
	t.Helper()
	return executeWith(t, f, newBridgeCmd(f, runF), append([]string{"bridge"}, args...)...)
}

func TestBridgeFlags(t *testing.T) {
	f, _, _, _ := testFactory(t, t.TempDir())
	var got *bridgeOptions
	runF := func(_ context.Context, o *bridgeOptions) error { got = o; return nil }
	err := executeBridge(t, f, runF, "https://example.com/mcp", "--key-env", "PROD_KEY", "--env-file", "/p/.env", "-H", "X-Tenant: acme", "-v")
	if err != nil {
		t.Fatal(err)
	}
	if got.URL != "https://example.com/mcp" || got.KeyEnv != "PROD_KEY" || !got.keyEnvSet || got.EnvFile != "/p/.env" || got.header.Get("X-Tenant") != "acme" || !got.Verbose {
		t.Errorf("options %+v", got)
	}
	for _, args := range [][]string{{}, {"a", "b"}, {"example.com/mcp"}, {"https://example.com/mcp", "-H", "bad"}, {"https://example.com/mcp", "--key-env", ""}} {
		if err := executeBridge(t, f, runF, args...); !IsUsageError(err) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
}

// TestBridgeCommand runs `mcpctl bridge` end to end: JSON-RPC lines on stdin, a go-sdk
// server behind an x-api-key check, the answers on stdout and nothing else there.
func TestBridgeCommand(t *testing.T) {
	ms := mcp.NewServer(&mcp.Implementation{Name: "demo", Version: "1.0.0"}, nil)
	mcp.AddTool(ms, &mcp.Tool{Name: "say_hello"}, func(ctx context.Context, req *mcp.CallToolRequest, in struct {
		Name string `json:"name"`
	}) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "Hello, " + in.Name + "!"}}}, nil, nil
	})
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return ms }, &mcp.StreamableHTTPOptions{Stateless: true})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-api-key") != bridgeTestKey {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()

	input := strings.Join([]string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"say_hello","arguments":{"name":"Ada"}}}`,
	}, "\n") + "\n"

	run := func(t *testing.T, setup func(dir string) []string) (stdout, stderr string, err error) {
		t.Helper()
		dir := t.TempDir()
		ios, in, out, errOut := iostreams.Test()
		in.WriteString(input)
		f, _, _, _ := testFactory(t, dir)
		f.IOStreams = ios
		args := append([]string{srv.URL + "/mcp"}, setup(dir)...)
		err = executeBridge(t, f, nil, args...)
		return out.String(), errOut.String(), err
	}
	check := func(t *testing.T, stdout string) {
		t.Helper()
		sc := bufio.NewScanner(strings.NewReader(stdout))
		var lines []string
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		// The bridge forwards requests as they come, so the answers may come in any
		// order, as JSON-RPC allows.
		joined := strings.Join(lines, "\n")
		if len(lines) != 2 || !strings.Contains(joined, `"id":1,"result":{"capabilities"`) || !strings.Contains(joined, `Hello, Ada!`) {
			t.Errorf("stdout must hold exactly the two answers:\n%s", stdout)
		}
	}

	t.Run("env-file", func(t *testing.T) {
		stdout, _, err := run(t, func(dir string) []string {
			p := filepath.Join(dir, "project.env")
			if err := os.WriteFile(p, []byte("MCP_API_KEY="+bridgeTestKey+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			return []string{"--key-env", "MCP_API_KEY", "--env-file", p}
		})
		if err != nil {
			t.Fatal(err)
		}
		check(t, stdout)
	})
	t.Run("dot-env in the working directory", func(t *testing.T) {
		stdout, _, err := run(t, func(dir string) []string {
			if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("MCP_API_KEY="+bridgeTestKey+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		check(t, stdout)
	})
	t.Run("missing key", func(t *testing.T) {
		_, _, err := run(t, func(string) []string { return []string{"--key-env", "NOPE"} })
		if err == nil || !strings.Contains(err.Error(), "NOPE is not set") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("wrong key", func(t *testing.T) {
		stdout, _, err := run(t, func(dir string) []string {
			p := filepath.Join(dir, "project.env")
			if err := os.WriteFile(p, []byte("MCP_API_KEY=mcpk_wrong\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			return []string{"--env-file", p}
		})
		if err == nil {
			t.Error("no error with a wrong key")
		}
		if !strings.Contains(stdout, "the key sent is MCP_API_KEY in") || !bytes.Contains([]byte(stdout), []byte(`"id":1`)) {
			t.Errorf("the client must get an error answer that names the key:\n%s", stdout)
		}
	})
}
