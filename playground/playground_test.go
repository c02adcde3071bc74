package playground

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mcpctl/mcpctl/internal/testproject"
	"github.com/mcpctl/mcpctl/runner"
	"github.com/mcpctl/mcpctl/scaffold"
	"github.com/mcpctl/mcpctl/toolgen"
)

// serve mounts a playground on a loopback test server, as the dev proxy does.
func serve(t *testing.T, opts Options) (*Server, string) {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(Prefix, s.Handler())
	ts := httptest.NewServer(mux)
	t.Cleanup(func() { ts.Close(); s.Close() })
	s.SetAddr(ts.Listener.Addr().String())
	return s, ts.URL
}

func get(t *testing.T, url string, header map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range header {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestGuardRefusesAllButTheLinkedPage(t *testing.T) {
	s, base := serve(t, Options{Token: "secret-token"})
	link := s.URL()
	if !strings.HasPrefix(link, base+Prefix+"?token=secret-token") {
		t.Fatalf("link %s", link)
	}
	port := strings.TrimPrefix(base, "http://127.0.0.1:")
	for _, tc := range []struct {
		name   string
		url    string
		header map[string]string
		want   int
	}{
		{"the link", link, nil, 200},
		{"the link via localhost", link, map[string]string{"Host": "localhost:" + port}, 200},
		{"assets with the token", base + Prefix + "app.js?token=secret-token", nil, 200},
		{"token in a header", base + Prefix + "api/state", map[string]string{"X-Mcpctl-Token": "secret-token"}, 200},
		{"same origin", link, map[string]string{"Origin": base, "Sec-Fetch-Site": "same-origin"}, 200},
		{"no token", base + Prefix, nil, 403},
		{"no token on the API", base + Prefix + "api/state", nil, 403},
		{"wrong token", base + Prefix + "?token=secret-tokem", nil, 403},
		{"foreign origin", link, map[string]string{"Origin": "http://evil.example"}, 403},
		{"another local port", link, map[string]string{"Origin": "http://127.0.0.1:1"}, 403},
		{"cross-site fetch", link, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"same-site fetch (another port)", link, map[string]string{"Sec-Fetch-Site": "same-site"}, 403},
		{"rebound host", link, map[string]string{"Host": "evil.example:" + port}, 403},
		{"another port in Host", link, map[string]string{"Host": "127.0.0.1:1"}, 403},
	} {
		resp := get(t, tc.url, tc.header)
		if resp.StatusCode != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
		if v := resp.Header.Get("Access-Control-Allow-Origin"); v != "" {
			t.Errorf("%s: CORS header %q", tc.name, v)
		}
		if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s: no CSP", tc.name)
		}
	}
	// A preflight gets no CORS answer.
	req, _ := http.NewRequest(http.MethodOptions, base+Prefix+"api/call?token=secret-token", nil)
	req.Header.Set("Origin", "http://evil.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode < 400 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	// Without the address set, nothing is served.
	s2, err := New(Options{Token: "x"})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	s2.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://127.0.0.1:1"+Prefix+"?token=x", nil))
	if rec.Code != 403 {
		t.Errorf("before SetAddr: %d", rec.Code)
	}
}

// events reads server-sent events from the playground's stream.
func events(t *testing.T, url string) (<-chan [2]string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan [2]string, 64)
	go func() {
		defer resp.Body.Close()
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		var ev string
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				ev = v
			} else if v, ok := strings.CutPrefix(line, "data: "); ok {
				ch <- [2]string{ev, v}
			}
		}
	}()
	return ch, cancel
}

func next(t *testing.T, ch <-chan [2]string, event string) string {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				t.Fatalf("stream ended before a %s event", event)
			}
			if e[0] == event {
				return e[1]
			}
		case <-timeout:
			t.Fatalf("no %s event", event)
		}
	}
}

// A generated server behind the playground: its tools are listed and diffed after each
// Ready, a call goes through with the project's key (which no answer contains) and a
// progress tool's notifications arrive before its result. Stateless (2026-07-28) and
// stateful (2025-11-25) servers.
func TestCallsAGeneratedServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a generated project")
	}
	for _, stateless := range []bool{true, false} {
		name := map[bool]string{true: "stateless", false: "stateful"}[stateless]
		t.Run(name, func(t *testing.T) {
			p := testproject.Build(t, scaffold.Project{Name: "pg" + name[:4], Auth: "apikey", Stateless: stateless})
			plan, err := toolgen.Prepare(p.Dir, "count_up", "progress")
			if err != nil {
				t.Fatal(err)
			}
			if err := plan.Apply(p.Dir); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("go", "build", "-C", p.Dir, "-o", "bin/", "./...").CombinedOutput(); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			srv := p.Start(t, "MCP_API_KEY="+p.Key, "MCP_STATELESS="+map[bool]string{true: "true", false: "false"}[stateless])
			addr := strings.TrimPrefix(srv, "http://")

			surfaces := make(chan Surface, 4)
			s, base := serve(t, Options{Token: "tok", OnSurface: func(sf Surface) { surfaces <- sf }})
			stream, stop := events(t, base+Prefix+"api/events?token=tok")
			defer stop()
			if snap := next(t, stream, "snapshot"); !strings.Contains(snap, `"state":"starting"`) {
				t.Errorf("snapshot %s", snap)
			}
			auth := runner.Auth{Mode: "apikey", Header: "x-api-key", Value: p.Key}
			s.Observe(runner.Listening{URL: srv + "/mcp"})
			s.Observe(runner.ChildStarted{Gen: 1, Addr: addr, URL: srv + "/mcp", Auth: auth})
			s.Observe(runner.Ready{Gen: 1})
			sf := <-surfaces
			if sf.Error != "" || !sf.First || !strings.Contains(mustJSON(sf.Tools), `"count_up"`) || !strings.Contains(mustJSON(sf.Tools), `"say_hello"`) {
				t.Fatalf("first surface %+v", sf)
			}
			if ev := next(t, stream, "surface"); !strings.Contains(ev, "count_up") {
				t.Errorf("surface event %s", ev)
			}
			// The same server as generation 2: nothing changed.
			s.Observe(runner.ChildStarted{Gen: 2, Addr: addr, URL: srv + "/mcp", Auth: auth})
			s.Observe(runner.Ready{Gen: 2, Reloads: 1})
			if sf := <-surfaces; sf.First || !sf.Diff.Empty() {
				t.Errorf("second surface %+v", sf)
			}

			lines := call(t, base, `{"tool":"count_up","arguments":{"steps":3}}`)
			var progress int
			for _, l := range lines[:len(lines)-1] {
				if l.Type == "progress" {
					progress++
				}
			}
			last := lines[len(lines)-1]
			if progress != 3 || last.Type != "result" || last.Error != "" || last.Result == nil || last.Result.IsError {
				t.Fatalf("progress %d, last %+v", progress, last)
			}
			if !strings.Contains(string(last.Request), `"tools/call"`) || len(last.Response) == 0 {
				t.Errorf("raw exchange: %s / %d messages", last.Request, len(last.Response))
			}
			hello := call(t, base, `{"tool":"say_hello","arguments":{"name":"Ada"}}`)
			if r := hello[len(hello)-1].Result; r == nil || !strings.Contains(mustJSON(r), "Hello, Ada!") {
				t.Fatalf("say_hello: %+v", hello)
			}
			bad := call(t, base, `{"tool":"say_hello","arguments":{"name":" "}}`)
			if r := bad[len(bad)-1].Result; r == nil || !r.IsError {
				t.Errorf("an empty name is not a tool error: %+v", bad)
			}
			for _, u := range []string{"api/state", "api/events"} {
				body := fetch(t, base+Prefix+u+"?token=tok")
				if strings.Contains(body, p.Key) {
					t.Errorf("%s contains the API key", u)
				}
			}
		})
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func call(t *testing.T, base, body string) []callLine {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+Prefix+"api/call", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Mcpctl-Token", "tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("call: %s", resp.Status)
	}
	var lines []callLine
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l callLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%v: %s", err, sc.Text())
		}
		lines = append(lines, l)
	}
	if len(lines) == 0 {
		t.Fatal("empty answer")
	}
	return lines
}

// fetch reads a URL for at most a moment (the event stream never ends by itself).
func fetch(t *testing.T, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}
