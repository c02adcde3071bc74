package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpctl/mcpctl/probe"
	"github.com/mcpctl/mcpctl/serverenv"
)

const checkTestKey = "mcpk_cmd-check-test-key"

// executeCheck runs `mcpctl check …` with the check command built around runF.
func executeCheck(t *testing.T, f *Factory, runF func(context.Context, *checkOptions) error, args ...string) error {
	t.Helper()
	return executeWith(t, f, newCheckCmd(f, runF), append([]string{"check"}, args...)...)
}

func TestCheckFlags(t *testing.T) {
	f, _, _, _ := testFactory(t, t.TempDir())
	var got *checkOptions
	err := executeCheck(t, f, func(_ context.Context, o *checkOptions) error { got = o; return nil },
		"https://example.com/mcp", "--key-env", "PROD_KEY", "--key-header", "Authorization",
		"-H", "X-Tenant: acme", "--header", "X-Trace:  1 ", "--call", "say_hello", "--args", `{"name":"Ada"}`,
		"--timeout", "3s", "--retry-for", "0", "--json")
	if err != nil {
		t.Fatal(err)
	}
	if got.URL != "https://example.com/mcp" || got.KeyEnv != "PROD_KEY" || !got.keyEnvSet || got.KeyHeader != "Authorization" {
		t.Errorf("options %+v", got)
	}
	if got.header.Get("X-Tenant") != "acme" || got.header.Get("X-Trace") != "1" {
		t.Errorf("headers %v", got.header)
	}
	if got.Call != "say_hello" || string(got.args) != `{"name":"Ada"}` || got.Timeout != 3*time.Second || got.RetryFor != 0 || !got.JSON {
		t.Errorf("options %+v", got)
	}
}

func TestCheckDefaults(t *testing.T) {
	f, _, _, _ := testFactory(t, t.TempDir())
	var got *checkOptions
	if err := executeCheck(t, f, func(_ context.Context, o *checkOptions) error { got = o; return nil }, "example.com/mcp"); err != nil {
		t.Fatal(err)
	}
	if got.KeyEnv != "MCP_API_KEY" || got.keyEnvSet || got.KeyHeader != "x-api-key" || got.Timeout != probe.DefaultTimeout || got.RetryFor != time.Minute {
		t.Errorf("defaults %+v", got)
	}
}

func TestCheckUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"a", "b"},
		{"ftp://example.com/mcp"},
		{"https://example.com/mcp", "--header", "no colon"},
		{"https://example.com/mcp", "--header", "Bad Name: x"},
		{"https://example.com/mcp", "--args", `{"a":1}`},
		{"https://example.com/mcp", "--call", "t", "--args", `[1,2]`},
		{"https://example.com/mcp", "--call", "t", "--args", `{bad`},
		{"https://example.com/mcp", "--timeout", "0s"},
		{"https://example.com/mcp", "--retry-for", "-1s"},
		{"https://example.com/mcp", "--key-header", "x y"},
	} {
		f, _, _, _ := testFactory(t, t.TempDir())
		err := executeCheck(t, f, func(context.Context, *checkOptions) error { return nil }, args...)
		if !IsUsageError(err) {
			t.Errorf("%q: got %v, want a usage error", args, err)
		}
	}
}

func TestCheckHelpListsExitCodes(t *testing.T) {
	c := newCheckCmd(&Factory{}, nil)
	for _, d := range probe.ExitCodes() {
		if d.Class != "" && !strings.Contains(c.Long, string(d.Class)) {
			t.Errorf("--help does not document %s", d.Class)
		}
	}
	// The table is in numeric order, usage (2) and interrupted (130) included.
	var codes []int
	for _, line := range strings.Split(c.Long[strings.Index(c.Long, "Exit codes:"):], "\n")[1:] {
		var n int
		if _, err := fmt.Sscanf(line, "%d", &n); err == nil {
			codes = append(codes, n)
		}
	}
	if !slices.IsSorted(codes) || !slices.Contains(codes, 2) || !slices.Contains(codes, 130) {
		t.Errorf("exit codes in --help: %v", codes)
	}
}

func TestCheckKeyResolution(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("# local\nMCP_API_KEY=from-dotenv\nOTHER=x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	o := &credentialOptions{KeyEnv: "MCP_API_KEY", Getenv: func(k string) string { return env[k] }}

	if key, src, err := o.resolveKey(dir); err != nil || key != "from-dotenv" || src != "MCP_API_KEY in ./.env" {
		t.Errorf(".env: %q %q %v", key, src, err)
	}
	env["MCP_API_KEY"] = "from-env"
	if key, src, err := o.resolveKey(dir); err != nil || key != "from-env" || src != "MCP_API_KEY from the shell's environment" {
		t.Errorf("environment: %q %q %v", key, src, err)
	}
	if key, _, err := o.resolveKey(t.TempDir()); err != nil || key != "from-env" {
		t.Errorf("no .env: %q %v", key, err)
	}
	delete(env, "MCP_API_KEY")
	if key, _, err := o.resolveKey(t.TempDir()); err != nil || key != "" {
		t.Errorf("nothing, default variable: want no key and no error, got %q %v", key, err)
	}
	o.KeyEnv, o.keyEnvSet = "PROD_KEY", true
	var knf *serverenv.NotFoundError
	if _, _, err := o.resolveKey(dir); !errors.As(err, &knf) {
		t.Errorf("explicit --key-env that is unset: got %v", err)
	}
}

// checkServer is a Streamable HTTP server behind an API-key check, at /mcp.
func checkServer(t *testing.T) *httptest.Server {
	t.Helper()
	s := mcp.NewServer(&mcp.Implementation{Name: "cmdtest", Version: "0.0.1"}, nil)
	type in struct {
		Name string `json:"name"`
	}
	mcp.AddTool(s, &mcp.Tool{Name: "say_hello"}, func(_ context.Context, _ *mcp.CallToolRequest, a in) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "Hello, " + a.Name + "!"}}}, nil, nil
	})
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, &mcp.StreamableHTTPOptions{Stateless: true})
	mux := http.NewServeMux()
	mux.Handle("/mcp", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != checkTestKey {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"unauthorized"}`)
			return
		}
		h.ServeHTTP(w, r)
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestCheckAgainstServer(t *testing.T) {
	srv := checkServer(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("MCP_API_KEY="+checkTestKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("human", func(t *testing.T) {
		f, out, _, _ := testFactory(t, dir)
		err := executeCheck(t, f, nil, srv.URL+"/mcp", "--call", "say_hello", "--args", `{"name":"Ada"}`)
		if err != nil {
			t.Fatalf("check failed: %v\n%s", err, out)
		}
		text := out.String()
		for _, want := range []string{"Checking " + srv.URL + "/mcp", "✓ reach", "✓ auth", "✓ initialize", "✓ tools/list", "say_hello → Hello, Ada!", "OK "} {
			if !strings.Contains(text, want) {
				t.Errorf("output lacks %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, "\x1b[") || strings.Contains(text, checkTestKey) {
			t.Errorf("output has colour codes or the key:\n%s", text)
		}
	})

	t.Run("json", func(t *testing.T) {
		f, out, _, _ := testFactory(t, dir)
		if err := executeCheck(t, f, nil, srv.URL+"/mcp", "--json"); err != nil {
			t.Fatalf("check failed: %v\n%s", err, out)
		}
		var r probe.Report
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			t.Fatalf("stdout is not one JSON report: %v\n%s", err, out)
		}
		if r.SchemaVersion != probe.SchemaVersion || !r.OK || r.Auth.Credentials != "x-api-key from MCP_API_KEY in ./.env" || len(r.Tools) != 1 {
			t.Errorf("report %+v", r)
		}
	})

	t.Run("wrong key exits with the auth code", func(t *testing.T) {
		f, out, errOut, _ := testFactory(t, t.TempDir())
		f.Getenv = func(k string) string {
			if k == "MCP_API_KEY" {
				return "mcpk_wrong"
			}
			return ""
		}
		err := executeCheck(t, f, nil, srv.URL+"/mcp")
		var coded interface{ ExitCode() int }
		if !errors.As(err, &coded) || coded.ExitCode() != probe.ExitAuth {
			t.Fatalf("got %v, want exit %d", err, probe.ExitAuth)
		}
		if !errors.Is(err, ErrSilent) {
			t.Error("the report already explains the failure; main must not print it again")
		}
		if !strings.Contains(out.String(), "FAILED (auth, exit 17)") || errOut.Len() != 0 {
			t.Errorf("stdout:\n%s\nstderr:\n%s", out, errOut)
		}
		if !strings.Contains(out.String(), "sent x-api-key from MCP_API_KEY from the shell's environment") {
			t.Errorf("the 401 does not say where the key came from:\n%s", out)
		}
	})

	t.Run("arguments the schema refuses", func(t *testing.T) {
		f, out, _, _ := testFactory(t, dir)
		err := executeCheck(t, f, nil, srv.URL+"/mcp", "--call", "say_hello", "--args", `{"name":5}`)
		var h Hinter
		if !errors.As(err, &h) || !strings.Contains(h.Hint(), "before the tool ran") || strings.Contains(out.String(), "the tool ran and reported") {
			t.Errorf("%v\n%s", err, out)
		}
	})

	t.Run("a stale shell key over .env's", func(t *testing.T) {
		f, out, _, _ := testFactory(t, dir)
		f.Getenv = func(k string) string {
			if k == "MCP_API_KEY" {
				return "mcpk_stale"
			}
			return ""
		}
		err := executeCheck(t, f, nil, srv.URL+"/mcp")
		var h Hinter
		if !errors.As(err, &h) || !strings.Contains(h.Hint(), "unset MCP_API_KEY") ||
			!strings.Contains(h.Hint(), `export MCP_API_KEY="$(sed -n 's/^MCP_API_KEY=//p' .env)"`) {
			t.Errorf("hint for a shell key that differs from .env's: %v\n%s", err, out)
		}
		if !strings.Contains(out.String(), "unset MCP_API_KEY") {
			t.Errorf("the printed report lacks the note:\n%s", out)
		}
	})

	t.Run("json failure", func(t *testing.T) {
		f, out, _, _ := testFactory(t, t.TempDir())
		err := executeCheck(t, f, nil, srv.URL, "--json")
		var coded interface{ ExitCode() int }
		if !errors.As(err, &coded) || coded.ExitCode() == 0 {
			t.Fatalf("got %v", err)
		}
		var r probe.Report
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			t.Fatalf("stdout is not one JSON report: %v\n%s", err, out)
		}
		if r.OK || r.ExitCode != coded.ExitCode() || r.Endpoint != srv.URL+"/mcp" {
			t.Errorf("report %+v", r)
		}
	})
}

// Retry notices go to stderr; stdout keeps only the report.
func TestCheckRetryNoticesOnStderr(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	f, out, errOut, _ := testFactory(t, t.TempDir())
	var waited time.Duration
	err := executeCheck(t, f, func(ctx context.Context, o *checkOptions) error {
		// Waits take no time here; the retry window is still enforced on the probe's clock.
		now := time.Now()
		o.now = func() time.Time { return now.Add(waited) }
		o.sleep = func(_ context.Context, d time.Duration) error { waited += d; return nil }
		return runCheck(ctx, o)
	}, srv.URL+"/mcp", "--json", "--retry-for", "5s")
	var coded interface{ ExitCode() int }
	if !errors.As(err, &coded) || coded.ExitCode() != probe.ExitUnavailable {
		t.Fatalf("got %v", err)
	}
	if !json.Valid(out.Bytes()) {
		t.Errorf("stdout is not JSON: %q", out)
	}
	if n := strings.Count(errOut.String(), "retrying in"); n != 2 || waited != 3*time.Second {
		t.Errorf("%d notices, waited %s (want 2 notices, 1s+2s):\n%s", n, waited, errOut)
	}
}
