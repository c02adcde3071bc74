package runner

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func stateful() ([]string, error) { return []string{"MCP_STATELESS=false"}, nil }

func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs real servers")
	}
}

// The one proof with real builds that clients do not notice reloads (the proxy's tests
// prove each mechanism against fake backends): concurrent tools/call requests from several
// stateful clients, half of them holding a GET stream, all succeed across three reloads;
// a watching client keeps its session id, reaches the new code, and hears
// tools/list_changed when a reload added a tool.
func TestReloadContinuity(t *testing.T) {
	skipShort(t)
	t.Parallel()
	dir := writeFixture(t)
	r, l, _ := startFixture(t, dir, Options{Env: stateful})
	from := 0
	waitFor[Ready](t, l, &from, nil)

	toolsChanged := make(chan struct{}, 10)
	cs := connect(t, r.URL(), &mcp.ClientOptions{
		ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) { toolsChanged <- struct{}{} },
	}, true)
	sid := cs.ID()
	if sid == "" {
		t.Fatal("stateful fixture gave no session id")
	}
	ctx := context.Background()
	if got, err := hello(ctx, cs, "Ada"); err != nil || got != "Hello, Ada!" {
		t.Fatalf("before reload: %q, %v", got, err)
	}

	steps := []struct{ greeting, extra string }{{"Hi", ""}, {"Howdy", ""}, {"Greetings", "brand_new_tool"}}
	res := runLoad(t, r.URL(), 4, func() {
		for i, step := range steps {
			setGreeting(t, dir, step.greeting, step.extra)
			ready := waitFor[Ready](t, l, &from, nil)
			if ready.Reloads != i+1 {
				t.Errorf("reload %d: Ready.Reloads = %d", i+1, ready.Reloads)
			}
			if ready.Sessions == 0 {
				t.Errorf("reload %d: no session carried eagerly (the watching client holds a GET stream)", i+1)
			}
			want := step.greeting + ", Ada!"
			if got, err := hello(ctx, cs, "Ada"); err != nil || got != want {
				t.Fatalf("after reload %d: got %q, %v; want %q", i+1, got, err, want)
			}
			if cs.ID() != sid {
				t.Fatalf("session id changed from %s to %s", sid, cs.ID())
			}
		}
	})
	t.Logf("%d requests, %d failed", res.OK+res.Failed, res.Failed)
	if res.Failed > 0 {
		t.Fatalf("%d of %d requests failed; first: %v", res.Failed, res.OK+res.Failed, res.FirstErr)
	}
	if res.OK < 20 {
		t.Fatalf("only %d requests ran: the load did not overlap the reloads", res.OK)
	}
	<-toolsChanged // the last reload added a tool
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range tools.Tools {
		names = append(names, tool.Name)
	}
	if !slices.Contains(names, "brand_new_tool") {
		t.Errorf("tools after reload: %v", names)
	}
}

// A compile error is reported with its position and leaves the last good build serving;
// fixing it recovers. AfterBuild's notices come with each successful build only.
func TestCompileErrorKeepsOldServerServing(t *testing.T) {
	skipShort(t)
	t.Parallel()
	dir := writeFixture(t)
	var afterBuild atomic.Int32
	r, l, _ := startFixture(t, dir, Options{AfterBuild: func() []string {
		return []string{"notice " + strconv.Itoa(int(afterBuild.Add(1)))}
	}})
	from := 0
	if bs := waitFor[BuildSucceeded](t, l, &from, nil); !slices.Equal(bs.Notices, []string{"notice 1"}) {
		t.Errorf("notices %q, want AfterBuild's", bs.Notices)
	}
	waitFor[Ready](t, l, &from, nil)
	cs := connect(t, r.URL(), nil, false)
	ctx := context.Background()

	broken := "package main\n\nconst greeting = \"Oops\" +\n\nconst extraTool = \"\"\n"
	if err := os.WriteFile(filepath.Join(dir, "greeting.go"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	bf := waitFor[BuildFailed](t, l, &from, nil)
	if len(bf.Errors) == 0 || bf.Errors[0].File != "greeting.go" || bf.Errors[0].Line == 0 || bf.Errors[0].Col == 0 {
		t.Errorf("compile errors not parsed: %+v\n%s", bf.Errors, bf.Output)
	}
	if got, err := hello(ctx, cs, "Ada"); err != nil || got != "Hello, Ada!" {
		t.Fatalf("during the compile error: %q, %v", got, err)
	}

	setGreeting(t, dir, "Fixed", "")
	if bs := waitFor[BuildSucceeded](t, l, &from, nil); !slices.Equal(bs.Notices, []string{"notice 2"}) {
		t.Errorf("notices %q: AfterBuild must run after successful builds only", bs.Notices)
	}
	waitFor[Ready](t, l, &from, nil)
	if got, err := hello(ctx, cs, "Ada"); err != nil || got != "Fixed, Ada!" {
		t.Fatalf("after the fix: %q, %v", got, err)
	}
}

// Cancelling the context stops every child and releases the port and the build directory.
func TestShutdownLeavesNothingBehind(t *testing.T) {
	skipShort(t)
	t.Parallel()
	dir := writeFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	r, err := Start(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	l := collect(r)
	from := 0
	waitFor[Ready](t, l, &from, nil)
	setGreeting(t, dir, "Again", "")
	waitFor[Ready](t, l, &from, nil)
	cancel()
	if err := r.Wait(); err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, ev := range l.all() {
		if cs, ok := ev.(ChildStarted); ok {
			pids = append(pids, cs.PID)
		}
	}
	if len(pids) != 2 {
		t.Fatalf("started %d children, want 2", len(pids))
	}
	for _, pid := range pids {
		if processAlive(pid) {
			t.Errorf("child %d survived shutdown", pid)
		}
	}
	ln, err := net.Listen("tcp", r.Addr())
	if err != nil {
		t.Errorf("port not released: %v", err)
	} else {
		ln.Close()
	}
	if _, err := os.Stat(r.tmp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("build directory %s left behind (%v)", r.tmp, err)
	}
}

func TestPortInUse(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	_, err = Start(context.Background(), Options{Dir: t.TempDir(), Port: port})
	var pe *PortInUseError
	if !errors.As(err, &pe) || pe.Port != port {
		t.Fatalf("err = %v, want *PortInUseError for %d", err, port)
	}
	msg := err.Error()
	if !strings.Contains(msg, strconv.Itoa(port)) || !strings.Contains(msg, "--port") {
		t.Errorf("message %q should name the port and --port", msg)
	}
	if !strings.Contains(pe.Hint(), "mcpctl dev --port") {
		t.Errorf("hint %q", pe.Hint())
	}
}

// A crashing server is reported with its exit status and last stderr lines, then
// restarted automatically (after the crash backoff) from the same build: a restart, not a
// reload, since the code did not change.
func TestCrashIsReportedAndRestarted(t *testing.T) {
	skipShort(t)
	t.Parallel()
	dir := writeFixture(t)
	r, l, _ := startFixture(t, dir, Options{CrashBackoff: 1}) // 1ns: restart at once
	from := 0
	first := waitFor[Ready](t, l, &from, nil)
	cs := connect(t, r.URL(), nil, false)
	if _, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "crash"}); err == nil {
		t.Fatal("crash tool answered")
	}
	ex := waitFor[ChildExited](t, l, &from, func(e ChildExited) bool { return e.Crashed })
	if ex.PID != first.PID || ex.ExitCode != 3 || !strings.Contains(strings.Join(ex.StderrTail, "\n"), "crashing on purpose") {
		t.Errorf("crash report: %+v", ex)
	}
	again := waitFor[Ready](t, l, &from, nil)
	if !again.Restart || again.Restarts != 1 || again.Reloads != 0 {
		t.Errorf("restart counted as %+v, want Restart, Restarts 1, Reloads 0", again)
	}
	if got, err := hello(context.Background(), cs, "Ada"); err != nil || got != "Hello, Ada!" {
		t.Fatalf("after restart: %q, %v", got, err)
	}
}

// Editing .env restarts the server with the new environment.
func TestEnvFileChangeRestartsWithNewEnv(t *testing.T) {
	skipShort(t)
	t.Parallel()
	dir := writeFixture(t)
	envFile := filepath.Join(dir, ".env")
	write := func(key string) {
		if err := os.WriteFile(envFile, []byte("MCP_API_KEY="+key+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("first")
	readEnv := func() ([]string, error) {
		data, err := os.ReadFile(envFile)
		return []string{"MCP_AUTH=apikey", strings.TrimSpace(string(data))}, err
	}
	_, l, _ := startFixture(t, dir, Options{Env: readEnv})
	from := 0
	if cs := waitFor[ChildStarted](t, l, &from, nil); cs.Auth.Value != "first" || cs.Auth.Header != "x-api-key" {
		t.Fatalf("auth %+v", cs.Auth)
	}
	waitFor[Ready](t, l, &from, nil)
	write("second")
	if cs := waitFor[ChildStarted](t, l, &from, nil); cs.Auth.Value != "second" {
		t.Fatalf("auth after edit %+v", cs.Auth)
	}
	waitFor[Ready](t, l, &from, nil)
}

// A build that compiles but will not start is handled like a compile error while an
// older generation serves: reported with its stderr, no automatic retries, old one serving.
func TestBrokenStartKeepsOldServerServing(t *testing.T) {
	skipShort(t)
	t.Parallel()
	dir := writeFixture(t)
	r, l, _ := startFixture(t, dir, Options{CrashBackoff: 1})
	from := 0
	first := waitFor[Ready](t, l, &from, nil)
	cs := connect(t, r.URL(), nil, false)

	broken := `package main

import (
	"fmt"
	"os"
)

const greeting = "Broken"

const extraTool = ""

func init() {
	fmt.Fprintln(os.Stderr, "fixture: refusing to start")
	os.Exit(4)
}
`
	if err := os.WriteFile(filepath.Join(dir, "greeting.go"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	ex := waitFor[ChildExited](t, l, &from, nil)
	if !ex.Crashed || ex.ExitCode != 4 || ex.RestartIn != 0 || !strings.Contains(strings.Join(ex.StderrTail, "\n"), "refusing to start") {
		t.Errorf("report %+v", ex)
	}
	// The view needs to know the start failed and what still serves.
	if sf := waitFor[StartFailed](t, l, &from, nil); sf.Gen != ex.Gen || sf.Serving != first.Gen || sf.Err == nil || sf.RestartIn != 0 {
		t.Errorf("start failure %+v, want generation %d with %d still serving", sf, ex.Gen, first.Gen)
	}
	if got, err := hello(context.Background(), cs, "Ada"); err != nil || got != "Hello, Ada!" {
		t.Fatalf("old generation: %q, %v", got, err)
	}
	// A crash of the old generation restarts the old build, which served, not the broken one.
	if _, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "crash"}); err == nil {
		t.Fatal("crash tool answered")
	}
	if again := waitFor[Ready](t, l, &from, nil); !again.Restart {
		t.Errorf("after the crash: %+v, want a restart", again)
	}
	if got, err := hello(context.Background(), cs, "Ada"); err != nil || got != "Hello, Ada!" {
		t.Fatalf("restarted old generation: %q, %v", got, err)
	}
	setGreeting(t, dir, "Fixed", "")
	waitFor[Ready](t, l, &from, nil)
	starts := 0
	for _, ev := range l.all() {
		if _, ok := ev.(ChildStarted); ok {
			starts++
		}
	}
	if starts != 4 { // first build, broken build, restart of the first, fixed build: no retries in between
		t.Errorf("%d processes started, want 4", starts)
	}
	if got, err := hello(context.Background(), cs, "Ada"); err != nil || got != "Fixed, Ada!" {
		t.Fatalf("after fix: %q, %v", got, err)
	}
}

// While the server is down after a crash (its restart pending), a request is answered at
// once with 503 and the crash's reason, not held until the wait bound.
func TestCrashAnswers503WithTheReason(t *testing.T) {
	skipShort(t)
	t.Parallel()
	dir := writeFixture(t)
	r, l, _ := startFixture(t, dir, Options{CrashBackoff: time.Hour})
	from := 0
	waitFor[Ready](t, l, &from, nil)
	cs := connect(t, r.URL(), nil, false)
	if _, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "crash"}); err == nil {
		t.Fatal("crash tool answered")
	}
	waitFor[ChildExited](t, l, &from, func(e ChildExited) bool { return e.Crashed })
	req, _ := http.NewRequest(http.MethodPost, r.URL(), strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "crashed") || !strings.Contains(string(body), "crashing on purpose") {
		t.Fatalf("HTTP %d: %s", resp.StatusCode, body)
	}
}
