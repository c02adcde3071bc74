package loadgen

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type helloIn struct {
	Name string `json:"name"`
}
type helloOut struct {
	Greeting string `json:"greeting"`
}

// newServer serves a go-sdk server with say_hello; a name "fail" makes the tool fail.
func newServer(t *testing.T, opts *mcp.StreamableHTTPOptions, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	s := mcp.NewServer(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "say_hello"}, func(_ context.Context, _ *mcp.CallToolRequest, in helloIn) (*mcp.CallToolResult, helloOut, error) {
		if in.Name == "fail" {
			return nil, helloOut{}, errors.New("no greeting for fail")
		}
		return nil, helloOut{Greeting: "Hello, " + in.Name}, nil
	})
	var h http.Handler = mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, opts)
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL + "/mcp"
}

func requireKey(key string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if subtle.ConstantTimeCompare([]byte(r.Header.Get("X-Api-Key")), []byte(key)) != 1 {
				http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func TestRunCountsCallsInBothEras(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     *mcp.StreamableHTTPOptions
		era      string
		wantEra  string
		tool     string
		wantMeth string
	}{
		{"stateless 2026 tools/call", &mcp.StreamableHTTPOptions{Stateless: true}, Era2026, Era2026, "say_hello", "tools/call"},
		{"stateless auto", &mcp.StreamableHTTPOptions{Stateless: true}, EraAuto, Era2026, "", "tools/list"},
		{"stateful 2025 tools/call", &mcp.StreamableHTTPOptions{}, Era2025, Era2025, "say_hello", "tools/call"},
		{"stateful auto", &mcp.StreamableHTTPOptions{}, "", Era2025, "", "tools/list"},
		{"stateless 2025 JSON answers", &mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true}, Era2025, Era2025, "say_hello", "tools/call"},
		{"stateful JSON answers", &mcp.StreamableHTTPOptions{JSONResponse: true}, EraAuto, Era2025, "say_hello", "tools/call"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := newServer(t, tc.opts, nil)
			rep, err := Run(t.Context(), Options{
				URL: url, Tool: tc.tool, Args: []byte(`{"name":"Ada"}`),
				Concurrency: 4, Requests: 200, Era: tc.era,
			})
			if err != nil {
				t.Fatal(err)
			}
			// The first call runs alone before the load and is not counted.
			if rep.OK != 200 || rep.Failed != 0 {
				t.Fatalf("ok %d failed %d (%v), want 200 and 0", rep.OK, rep.Failed, rep.Samples)
			}
			if rep.Protocol != tc.wantEra || rep.Method != tc.wantMeth || rep.Concurrency != 4 || rep.Version != ReportVersion {
				t.Errorf("report = %+v", rep)
			}
			l := rep.Latency
			if !(l.P50 > 0 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.Max && l.Mean > 0) {
				t.Errorf("latency percentiles out of order: %+v", l)
			}
			if rep.Throughput <= 0 || rep.Seconds <= 0 {
				t.Errorf("throughput %v over %vs", rep.Throughput, rep.Seconds)
			}
		})
	}
}

func TestRunOpensOneSessionPerClient(t *testing.T) {
	var inits, deletes atomic.Int64
	count := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodDelete {
				deletes.Add(1)
			} else if r.Header.Get("Mcp-Session-Id") == "" {
				inits.Add(1)
			}
			next.ServeHTTP(w, r)
		})
	}
	url := newServer(t, &mcp.StreamableHTTPOptions{}, count)
	rep, err := Run(t.Context(), Options{URL: url, Concurrency: 5, Requests: 50, Era: Era2025})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK != 50 || inits.Load() != 5 || deletes.Load() != 5 {
		t.Fatalf("ok %d, initialize %d, DELETE %d; want 50, 5, 5", rep.OK, inits.Load(), deletes.Load())
	}
}

func TestRunClassifiesErrors(t *testing.T) {
	// After the first (setup) call, every 4th POST gets a 503 and every 5th a wrong id.
	var n atomic.Int64
	flaky := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			i := n.Add(1)
			switch {
			case i > 1 && i%4 == 0:
				http.Error(w, "overloaded", http.StatusServiceUnavailable)
			case i > 1 && i%5 == 0:
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, `{"jsonrpc":"2.0","id":999999,"result":{}}`)
			default:
				next.ServeHTTP(w, r)
			}
		})
	}
	url := newServer(t, &mcp.StreamableHTTPOptions{Stateless: true}, flaky)
	rep, err := Run(t.Context(), Options{URL: url, Tool: "say_hello", Args: []byte(`{"name":"Ada"}`), Concurrency: 1, Requests: 40, Era: Era2026})
	if err != nil {
		t.Fatal(err)
	}
	// POSTs 2..41: multiples of 4 → 10; multiples of 5 but not 4 → 8 - 2 = 6 (10, 15, 25, 30, 35; 20 and 40 are 503s) ...
	want503, wantBad := int64(0), int64(0)
	for i := int64(2); i <= 41; i++ {
		switch {
		case i%4 == 0:
			want503++
		case i%5 == 0:
			wantBad++
		}
	}
	if rep.Errors["http_503"] != want503 || rep.Errors[ClassBadResponse] != wantBad {
		t.Errorf("errors = %v, want http_503 %d and bad_response %d", rep.Errors, want503, wantBad)
	}
	if rep.OK+rep.Failed != 40 || rep.Failed != want503+wantBad {
		t.Errorf("ok %d failed %d", rep.OK, rep.Failed)
	}
	if !strings.Contains(rep.Samples["http_503"], "overloaded") {
		t.Errorf("sample = %q", rep.Samples["http_503"])
	}
	if got := rep.Classes(); len(got) != 2 || got[0] != "http_503" {
		t.Errorf("classes = %v", got)
	}
}

func TestRunCountsToolErrorsAndJSONRPCErrors(t *testing.T) {
	for _, tc := range []struct {
		tool, args, class string
	}{
		{"say_hello", `{"name":"fail"}`, ClassToolError},
		{"no_such_tool", `{}`, ClassJSONRPC},
	} {
		url := newServer(t, &mcp.StreamableHTTPOptions{Stateless: true}, nil)
		_, err := Run(t.Context(), Options{URL: url, Tool: tc.tool, Args: []byte(tc.args), Concurrency: 1, Requests: 5})
		var se *SetupError
		if !errors.As(err, &se) || se.Class != tc.class {
			t.Fatalf("%s: err = %v, want a setup error of class %s", tc.tool, err, tc.class)
		}
		if se.Hint == "" {
			t.Errorf("%s: no hint", tc.tool)
		}
	}
}

func TestRunReportsUnauthorizedClearly(t *testing.T) {
	url := newServer(t, &mcp.StreamableHTTPOptions{Stateless: true}, requireKey("right"))
	for _, era := range []string{EraAuto, Era2026, Era2025} {
		_, err := Run(t.Context(), Options{URL: url, Header: http.Header{"X-Api-Key": {"wrong"}}, Concurrency: 2, Requests: 10, Era: era})
		var se *SetupError
		if !errors.As(err, &se) || se.Class != "http_401" || !strings.Contains(se.Hint, "--key-env") {
			t.Fatalf("%s: err = %#v, want http_401 with a hint naming --key-env", era, err)
		}
	}
	rep, err := Run(t.Context(), Options{URL: url, Header: http.Header{"X-Api-Key": {"right"}}, Concurrency: 2, Requests: 10})
	if err != nil || rep.OK != 10 {
		t.Fatalf("with the key: %v, %+v", err, rep)
	}
}

func TestRunReportsBadURLClearly(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens here now
	_, err = Run(t.Context(), Options{URL: "http://" + addr + "/mcp", Concurrency: 1, Requests: 1, Timeout: 5 * time.Second})
	var se *SetupError
	if !errors.As(err, &se) || se.Class != ClassConnect || !strings.Contains(se.Hint, "running") {
		t.Fatalf("err = %#v, want a connect setup error", err)
	}

	// A server that is not MCP at all.
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	_, err = Run(t.Context(), Options{URL: srv.URL + "/nope", Concurrency: 1, Requests: 1})
	if !errors.As(err, &se) || se.Class != "http_404" || !strings.Contains(se.Hint, "path") {
		t.Fatalf("err = %#v, want an http_404 setup error", err)
	}
}

func TestRunRefusesBadOptions(t *testing.T) {
	for _, o := range []Options{
		{URL: "http://127.0.0.1:1/mcp", Concurrency: 1},
		{URL: "http://127.0.0.1:1/mcp", Concurrency: 0, Requests: 1},
		{URL: "ftp://x/mcp", Concurrency: 1, Requests: 1},
		{URL: "http://127.0.0.1:1/mcp", Concurrency: 1, Requests: 1, Era: "2024-01-01"},
	} {
		if _, err := Run(t.Context(), o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

func TestRunHonoursDurationAndRate(t *testing.T) {
	url := newServer(t, &mcp.StreamableHTTPOptions{Stateless: true}, nil)
	var progress atomic.Int64
	rep, err := Run(t.Context(), Options{
		URL: url, Concurrency: 2, Duration: 300 * time.Millisecond, Rate: 1000,
		Progress: func(Progress) { progress.Add(1) }, Interval: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK == 0 || rep.Failed != 0 || rep.Rate != 1000 {
		t.Fatalf("report %+v", rep)
	}
	// The limiter admits at most rate × seconds calls plus its burst.
	if limit := int64(1000*rep.Seconds) + 11; rep.OK > limit {
		t.Errorf("%d calls in %.2fs exceed the rate limit", rep.OK, rep.Seconds)
	}
	if progress.Load() == 0 {
		t.Error("no progress reported")
	}
}

func TestReadEventSkipsCommentsAndNotifications(t *testing.T) {
	stream := ": keep-alive\n\n" +
		"event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{}}\n\n" +
		"event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":6,\"result\":{}}\n\n" +
		"event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":7,\r\ndata: \"result\":{\"ok\":true}}\r\n\r\n"
	msg, f := readEvent(strings.NewReader(stream), []byte("7"))
	if f != nil {
		t.Fatal(f.msg)
	}
	if !strings.Contains(string(msg), `"ok":true`) {
		t.Fatalf("msg = %s", msg)
	}
	if _, f := readEvent(strings.NewReader(": only a comment\n\n"), []byte("7")); f == nil || f.class != ClassBadResponse {
		t.Fatalf("failure = %+v, want bad_response", f)
	}
}
