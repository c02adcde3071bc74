package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpctl/mcpctl/loadgen"
)

func executeBench(t *testing.T, f *Factory, runF func(context.Context, *benchOptions) error, args ...string) error {
	t.Helper()
	return executeWith(t, f, newBenchCmd(f, runF), append([]string{"bench"}, args...)...)
}

func TestBenchFlags(t *testing.T) {
	f, _, _, _ := testFactory(t, t.TempDir())
	var got *benchOptions
	err := executeBench(t, f, func(_ context.Context, o *benchOptions) error { got = o; return nil },
		"127.0.0.1:8000", "--call", "say_hello", "--args", `{"name":"Ada"}`, "-c", "64", "-n", "1000",
		"--rate", "500", "--protocol", "2025-11-25", "-H", "X-Tenant: acme", "--key-env", "K", "--json")
	if err != nil {
		t.Fatal(err)
	}
	// A base URL gets /mcp; -n alone means no duration bound.
	if got.URL != "http://127.0.0.1:8000/mcp" || got.Concurrency != 64 || got.Requests != 1000 || got.Duration != 0 {
		t.Errorf("options %+v", got)
	}
	if got.Rate != 500 || got.Protocol != "2025-11-25" || string(got.args) != `{"name":"Ada"}` || got.header.Get("X-Tenant") != "acme" || !got.keyEnvSet || !got.JSON {
		t.Errorf("options %+v", got)
	}

	got = nil
	if err := executeBench(t, f, func(_ context.Context, o *benchOptions) error { got = o; return nil }, "http://localhost:9/x"); err != nil {
		t.Fatal(err)
	}
	if got.Duration != 10*time.Second || got.Requests != 0 || got.Concurrency != 16 || got.Protocol != "auto" || got.KeyHeader != "x-api-key" {
		t.Errorf("defaults %+v", got)
	}
}

func TestBenchUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"ftp://example.com/mcp"},
		{"http://127.0.0.1:1/mcp", "-d", "0"},
		{"http://127.0.0.1:1/mcp", "-c", "0"},
		{"http://127.0.0.1:1/mcp", "--rate", "-1"},
		{"http://127.0.0.1:1/mcp", "--args", `{"a":1}`},
		{"http://127.0.0.1:1/mcp", "--call", "t", "--args", `[1]`},
		{"http://127.0.0.1:1/mcp", "--protocol", "2024-11-05"},
		{"http://127.0.0.1:1/mcp", "--token", "a", "--token-env", "B"},
		{"http://127.0.0.1:1/mcp", "--timeout", "0s"},
	} {
		f, _, _, _ := testFactory(t, t.TempDir())
		err := executeBench(t, f, func(context.Context, *benchOptions) error { return nil }, args...)
		if !IsUsageError(err) {
			t.Errorf("%q: got %v, want a usage error", args, err)
		}
	}
}

// benchServer is a stateless go-sdk server with say_hello behind an x-api-key check.
func benchServer(t *testing.T, key string) string {
	t.Helper()
	s := mcp.NewServer(&mcp.Implementation{Name: "bench-test", Version: "1"}, nil)
	type in struct {
		Name string `json:"name"`
	}
	mcp.AddTool(s, &mcp.Tool{Name: "say_hello"}, func(_ context.Context, _ *mcp.CallToolRequest, a in) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "Hello, " + a.Name}}}, nil, nil
	})
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, &mcp.StreamableHTTPOptions{Stateless: true})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != key {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"unauthorized"}`))
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/mcp"
}

func TestBenchReportsAgainstAServer(t *testing.T) {
	url := benchServer(t, "k1")
	f, out, _, _ := testFactory(t, t.TempDir())
	f.Getenv = func(n string) string {
		if n == "MCP_API_KEY" {
			return "k1"
		}
		return ""
	}
	if err := executeBench(t, f, nil, url, "--call", "say_hello", "--args", `{"name":"Ada"}`, "-c", "2", "-n", "50"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"tools/call say_hello · protocol 2026-07-28 · 2 clients", "50 ok, 0 failed", "calls/s", "p50 ", "p99 "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	out.Reset()
	if err := executeBench(t, f, nil, url, "-n", "20", "-c", "3", "--protocol", "2025-11-25", "--json"); err != nil {
		t.Fatal(err)
	}
	var rep loadgen.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Version != 1 || rep.OK != 20 || rep.Protocol != "2025-11-25" || rep.Method != "tools/list" || rep.Latency.P99 <= 0 {
		t.Errorf("report %+v", rep)
	}
}

func TestBenchUnauthorizedSaysWhatToDo(t *testing.T) {
	url := benchServer(t, "k1")
	f, out, _, _ := testFactory(t, t.TempDir())
	err := executeBench(t, f, nil, url, "-n", "5")
	var h Hinter
	if err == nil || !strings.Contains(err.Error(), "401") || !errors.As(err, &h) || !strings.Contains(h.Hint(), "--key-env") {
		t.Fatalf("err = %v, want a 401 with a hint naming --key-env", err)
	}
	if out.Len() != 0 {
		t.Errorf("stdout = %q, want nothing", out)
	}
}

func TestBenchAsksBeforeLoadingARemoteHost(t *testing.T) {
	f, _, errOut, _ := testFactory(t, t.TempDir())
	err := executeBench(t, f, nil, "https://example.com/mcp", "-n", "1")
	var h Hinter
	if err == nil || !errors.As(err, &h) || !strings.Contains(h.Hint(), "--yes") {
		t.Fatalf("err = %v, want a refusal naming --yes", err)
	}
	if !strings.Contains(errOut.String(), "example.com is not this machine") {
		t.Errorf("stderr = %q", errOut)
	}
}
