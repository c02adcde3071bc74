package devtui

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/mcpctl/mcpctl/runner"
)

const testKey = "mcpk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAwxyz"

// asciiRenderer pins the colour profile, so views and goldens do not depend on the
// terminal running the tests.
func asciiRenderer() *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	return r
}

func at(sec int) time.Time { return time.Date(2026, 11, 22, 10, 0, sec, 0, time.UTC) }

// startup is what a runner says from start to the first healthy generation.
func startup() []runner.Event {
	url := "http://127.0.0.1:8000/mcp"
	return []runner.Event{
		runner.Listening{Time: at(0), URL: url, Addr: "127.0.0.1:8000"},
		runner.BuildStarted{Time: at(0), Gen: 1, Reason: "initial build"},
		runner.BuildSucceeded{Time: at(1), Gen: 1, Duration: 812 * time.Millisecond},
		runner.ChildStarted{Time: at(1), Gen: 1, PID: 4242, Addr: "127.0.0.1:40001", URL: url,
			Auth: runner.Auth{Mode: "apikey", Header: "x-api-key", Value: testKey}},
		runner.Ready{Time: at(1), Gen: 1, PID: 4242, Startup: 15 * time.Millisecond},
	}
}

// started is the ChildStarted of a later generation.
func started(sec, gen, pid int) runner.ChildStarted {
	return runner.ChildStarted{Time: at(sec), Gen: gen, PID: pid, Addr: fmt.Sprintf("127.0.0.1:%d", 40000+gen),
		URL: "http://127.0.0.1:8000/mcp", Auth: runner.Auth{Mode: "apikey", Header: "x-api-key", Value: testKey}}
}

// flat is a view's text with its lines joined, so wrapped text reads as one.
func flat(view string) string {
	var words []string
	for _, l := range strings.Split(view, "\n") {
		words = append(words, strings.Fields(l)...)
	}
	return strings.Join(words, " ")
}

func requests() []runner.Event {
	return []runner.Event{
		runner.Request{Time: at(2), HTTPMethod: "POST", Path: "/mcp", RPCMethod: "initialize", Status: 200, Duration: 2 * time.Millisecond, Gen: 1},
		runner.Request{Time: at(3), HTTPMethod: "POST", Path: "/mcp", RPCMethod: "tools/call", Tool: "say_hello", Status: 200, Duration: 3 * time.Millisecond, Gen: 1},
		runner.Request{Time: at(4), HTTPMethod: "GET", Path: "/mcp", Status: 405, Duration: 300 * time.Microsecond, Gen: 1},
	}
}

func feed(m Model, events ...runner.Event) Model {
	for _, ev := range events {
		next, _ := m.Update(EventMsg{Event: ev})
		m = next.(Model)
	}
	return m
}

func sized(m Model, w, h int) Model {
	next, _ := m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return next.(Model)
}

func press(m Model, key string) (Model, tea.Cmd) {
	var msg tea.KeyMsg
	switch key {
	case "up":
		msg = tea.KeyMsg{Type: tea.KeyUp}
	case "end":
		msg = tea.KeyMsg{Type: tea.KeyEnd}
	default:
		msg = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(key)}
	}
	next, cmd := m.Update(msg)
	return next.(Model), cmd
}

func newTestModel() Model {
	return sized(New(nil, Options{Renderer: asciiRenderer()}), 90, 20)
}

func TestViewStates(t *testing.T) {
	t.Run("running", func(t *testing.T) {
		m := feed(newTestModel(), startup()...)
		m = feed(m, requests()...)
		if m.State() != StateRunning {
			t.Errorf("state %q", m.State())
		}
		golden.RequireEqual(t, []byte(m.View()))
	})
	t.Run("build_failed", func(t *testing.T) {
		m := feed(newTestModel(), startup()...)
		m = feed(m,
			runner.BuildStarted{Time: at(5), Gen: 2, Reason: "tools/hello.go changed"},
			runner.BuildFailed{Time: at(6), Gen: 2, Duration: 420 * time.Millisecond, Errors: []runner.CompileError{
				{File: "tools/hello.go", Line: 12, Col: 5, Message: "undefined: greet"},
				{File: "tools/hello.go", Line: 14, Col: 2, Message: "missing return"},
			}})
		if m.State() != StateBuildFailed {
			t.Errorf("state %q", m.State())
		}
		golden.RequireEqual(t, []byte(m.View()))

		// The next good build clears the errors.
		m = feed(m, runner.BuildStarted{Time: at(7), Gen: 3}, runner.BuildSucceeded{Time: at(8), Gen: 3, Duration: time.Second},
			runner.Ready{Time: at(8), Gen: 3, PID: 4343, Reloads: 1})
		if v := m.View(); strings.Contains(v, "undefined: greet") || !strings.Contains(v, "1 reload") || m.State() != StateRunning {
			t.Errorf("after recovery:\n%s", v)
		}
	})
	t.Run("crashed", func(t *testing.T) {
		m := feed(newTestModel(), startup()...)
		m = feed(m, runner.ChildExited{Time: at(9), Gen: 1, PID: 4242, ExitCode: 2, Status: "exit status 2", Crashed: true,
			StderrTail: []string{"panic: boom", "goroutine 1 [running]:"}, RestartIn: 500 * time.Millisecond})
		if m.State() != StateCrashed {
			t.Errorf("state %q", m.State())
		}
		golden.RequireEqual(t, []byte(m.View()))
	})
}

func TestKeyIsMaskedUntilToggled(t *testing.T) {
	m := feed(newTestModel(), startup()...)
	if v := m.View(); strings.Contains(v, testKey) || !strings.Contains(v, "mcpk_••••••••wxyz") {
		t.Fatalf("key not masked:\n%s", v)
	}
	m, _ = press(m, "k")
	if v := m.View(); !strings.Contains(v, testKey) {
		t.Fatalf("key not shown after k:\n%s", v)
	}
	m, _ = press(m, "k")
	if strings.Contains(m.View(), testKey) {
		t.Fatal("key still shown after second k")
	}
}

func TestClearAndScrollLog(t *testing.T) {
	m := feed(newTestModel(), startup()...)
	for i := range 40 {
		m = feed(m, runner.Request{Time: at(i), HTTPMethod: "POST", RPCMethod: "tools/call", Tool: "t" + string(rune('a'+i%26)), Status: 200})
	}
	v := m.View()
	if !strings.Contains(v, "10:00:39") || strings.Contains(v, "10:00:00  POST") {
		t.Fatalf("log should show the newest entries:\n%s", v)
	}
	m, _ = press(m, "up")
	if v := m.View(); strings.Contains(v, "10:00:39") || !strings.Contains(v, "scrolled back 1") {
		t.Fatalf("scrolled view:\n%s", v)
	}
	m, _ = press(m, "end")
	m, _ = press(m, "c")
	if v := m.View(); strings.Contains(v, "tools/call") || !strings.Contains(v, "no requests yet") {
		t.Fatalf("after clear:\n%s", v)
	}
}

func TestViewFitsTheWindow(t *testing.T) {
	m := feed(sized(New(nil, Options{Renderer: asciiRenderer()}), 40, 12), startup()...)
	m = feed(m, requests()...)
	lines := strings.Split(m.View(), "\n")
	if len(lines) > 12 {
		t.Errorf("%d lines for a 12-line window", len(lines))
	}
	for _, l := range lines {
		if w := lipgloss.Width(l); w > 40 {
			t.Errorf("line of width %d: %q", w, l)
		}
	}
}

// The program end to end: events arrive through the runner's channel, keys act, and the
// program ends when the runner closes the channel.
func TestProgram(t *testing.T) {
	events := make(chan runner.Event)
	rebuilds := make(chan struct{}, 1)
	m := New(events, Options{Renderer: asciiRenderer(), Rebuild: func() { rebuilds <- struct{}{} }})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 24))
	for _, ev := range append(startup(), requests()...) {
		events <- ev
	}
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains(b, []byte("running")) && bytes.Contains(b, []byte("say_hello"))
	}, teatest.WithDuration(10*time.Second))

	tm.Type("r")
	<-rebuilds

	events <- runner.Error{Time: at(5), Err: errors.New("file watcher: too many open files")}
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("too many open files")) },
		teatest.WithDuration(10*time.Second))

	close(events)
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(Model)
	if !final.Stopped() || final.State() != StateRunning || len(final.log) != 3 {
		t.Errorf("final model: stopped=%v state=%q log=%d", final.Stopped(), final.State(), len(final.log))
	}
}

func TestQuitKey(t *testing.T) {
	m := feed(newTestModel(), startup()...)
	_, cmd := press(m, "q")
	if cmd == nil {
		t.Fatal("q returned no command")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Fatal("q does not quit")
	}
}

func TestPrinter(t *testing.T) {
	var buf bytes.Buffer
	p := &Printer{W: &buf, Requests: true, ServerOutput: true}
	events := append(startup(), requests()[1:2]...)
	events = append(events,
		runner.ChildOutput{Time: at(3), Gen: 1, Stream: "stderr", Line: `level=INFO msg="tool called"`},
		// The server's own access log says what the proxy's line above says: left out.
		runner.ChildOutput{Time: at(3), Gen: 1, Stream: "stderr",
			Line: `time=2026-11-22T10:00:03.000Z level=INFO msg=request method=POST path=/mcp status=200 duration=2.9ms rpc=tools/call tool=say_hello`},
		runner.BuildStarted{Time: at(5), Gen: 2, Reason: "tools/hello.go changed"},
		runner.BuildFailed{Time: at(6), Gen: 2, Duration: 420 * time.Millisecond, Errors: []runner.CompileError{
			{File: "tools/hello.go", Line: 12, Col: 5, Message: "undefined: greet"}}},
		runner.BuildStarted{Time: at(7), Gen: 3, Reason: "tools/hello.go changed"},
		runner.BuildSucceeded{Time: at(8), Gen: 3, Duration: 1234 * time.Millisecond,
			Notices: []string{"tools/forecast.go:9: forecastTool is declared but never registered: add mcp.AddTool(s, forecastTool, …) to Register in tools/tools.go"}},
		runner.ChildStarted{Time: at(8), Gen: 3, PID: 4343, Addr: "127.0.0.1:40002",
			Auth: runner.Auth{Mode: "apikey", Header: "x-api-key", Value: testKey}},
		runner.Ready{Time: at(8), Gen: 3, PID: 4343, Reloads: 1, Startup: 12 * time.Millisecond, Sessions: 2},
		runner.ChildExited{Time: at(8), Gen: 1, PID: 4242, Status: "exit status 0"},
		runner.ChildExited{Time: at(9), Gen: 3, PID: 4343, ExitCode: 2, Status: "exit status 2", Crashed: true,
			StderrTail: []string{"level=INFO msg=request method=POST path=/mcp status=200 duration=1ms", "panic: boom"}, RestartIn: 500 * time.Millisecond},
		runner.ChildStarted{Time: at(10), Gen: 4, PID: 4444, Addr: "127.0.0.1:40003",
			Auth: runner.Auth{Mode: "apikey", Header: "x-api-key", Value: testKey}},
		runner.Ready{Time: at(10), Gen: 4, PID: 4444, Reloads: 1, Restart: true, Restarts: 1, Startup: 11 * time.Millisecond},
		runner.BuildStarted{Time: at(11), Gen: 5, Reason: "tools/hello.go changed"},
		runner.BuildSucceeded{Time: at(12), Gen: 5, Duration: time.Second},
		runner.ChildStarted{Time: at(12), Gen: 5, PID: 4545, Addr: "127.0.0.1:40004",
			Auth: runner.Auth{Mode: "apikey", Header: "x-api-key", Value: testKey}},
		runner.ChildOutput{Time: at(12), Gen: 5, Stream: "stderr", Line: `time=2026-11-22T10:00:12.000Z level=ERROR msg="reading config" err="MCP_PORT: not a number"`},
		runner.ChildExited{Time: at(12), Gen: 5, PID: 4545, ExitCode: 1, Status: "exit status 1", Crashed: true,
			StderrTail: []string{"reading config: MCP_PORT: not a number"}},
		runner.StartFailed{Time: at(12), Gen: 5, Err: errors.New("exited before answering /health"), Serving: 4},
	)
	ch := make(chan runner.Event, len(events))
	for _, ev := range events {
		ch <- ev
	}
	close(ch)
	p.Run(ch)
	out := buf.String()
	if strings.Contains(out, testKey) {
		t.Fatal("printer leaked the key")
	}
	if strings.Contains(out, "msg=request") {
		t.Error("the server's access-log line is printed besides the proxy's")
	}
	golden.RequireEqual(t, buf.Bytes())
}

func TestIsAccessLog(t *testing.T) {
	for line, want := range map[string]bool{
		`time=2026-11-22T10:00:03.000Z level=INFO msg=request method=POST path=/mcp status=200 duration=2.9ms rpc=initialize`: true,
		`time=2026-11-22T10:00:03.000Z level=INFO msg=request method=GET path="/a path" status=404 duration=40µs`:             true,
		`level=INFO msg=request method=GET path=/health status=200 duration=1ms`:                                              true,
		`{"time":"2026-11-22T10:00:03Z","level":"INFO","msg":"request","method":"POST","path":"/mcp","status":200}`:           true,
		`time=2026-11-22T10:00:03.000Z level=INFO msg=listening addr=127.0.0.1:4000 path=/mcp`:                                false,
		`time=2026-11-22T10:00:03.000Z level=ERROR msg="request failed" method=POST path=/mcp status=500`:                     false,
		`time=2026-11-22T10:00:03.000Z level=INFO msg=request`:                                                                false,
		`{"level":"INFO","msg":"request"}`:                              false,
		`request method=POST path=/mcp status=200`:                      false,
		`2026/11/22 10:00:03 request POST /mcp 200`:                     false,
		`panic: msg=request method=POST path=/mcp status=200`:           false,
		`level=INFO msg="unterminated method=POST path=/mcp status=200`: false,
		``: false,
	} {
		if got := IsAccessLog(line); got != want {
			t.Errorf("IsAccessLog(%q) = %v, want %v", line, got, want)
		}
	}
}

// at80x24 is the smallest terminal the dashboard is made for.
func at80x24() Model {
	return sized(New(nil, Options{Renderer: asciiRenderer()}), 80, 24)
}

// checkFits fails when the view is taller or wider than the window.
func checkFits(t *testing.T, m Model) {
	t.Helper()
	lines := strings.Split(m.View(), "\n")
	if len(lines) > m.height {
		t.Errorf("%d lines for a %d-line window", len(lines), m.height)
	}
	for _, l := range lines {
		if w := lipgloss.Width(l); w > m.width {
			t.Errorf("line of width %d in %d columns: %q", w, m.width, l)
		}
	}
}

// At 80 columns every request line ends with its whole duration, and a compile error
// longer than the window is wrapped, not cut.
func TestViewAt80Columns(t *testing.T) {
	m := feed(at80x24(), startup()...)
	m = feed(m, requests()...)
	m = feed(m, runner.Request{Time: at(5), HTTPMethod: "POST", Path: "/mcp", RPCMethod: "notifications/initialized",
		Tool: "a_tool_with_a_rather_long_name", Status: 202, Duration: 5 * time.Millisecond, Gen: 1})
	long := "cannot use forecast (value of type func(ctx context.Context, req *mcp.CallToolRequest, in forecastInput) (*mcp.CallToolResult, any, error)) as mcp.ToolHandlerFor[forecastInput, any] value in argument to mcp.AddTool"
	m = feed(m,
		runner.BuildStarted{Time: at(6), Gen: 2, Reason: "tools/tools.go changed"},
		runner.BuildFailed{Time: at(7), Gen: 2, Duration: 420 * time.Millisecond, Errors: []runner.CompileError{
			{File: "tools/tools.go", Line: 14, Col: 22, Message: long}}})
	checkFits(t, m)
	v := m.View()
	for _, want := range []string{"405    300µs", "202      5ms", "200      3ms"} {
		found := false
		for _, l := range strings.Split(v, "\n") {
			if strings.HasSuffix(l, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("no request line ends with %q at 80 columns:\n%s", want, v)
		}
	}
	// Joined again, the wrapped lines hold the whole message.
	var panel []string
	for _, l := range strings.Split(v, "\n") {
		panel = append(panel, strings.TrimSpace(l))
	}
	if !strings.Contains(strings.Join(panel, " "), long) {
		t.Errorf("compile error cut, not wrapped:\n%s", v)
	}
	golden.RequireEqual(t, []byte(v))
}

// A generation that builds but does not start ends "building": with an older one still
// serving the dashboard says running, with the reason; with none, start failed. A later
// ready generation takes the report away.
func TestStartFailureFollowsTheRunner(t *testing.T) {
	broken := []runner.Event{
		runner.BuildStarted{Time: at(5), Gen: 2, Reason: "main.go changed"},
		runner.BuildSucceeded{Time: at(6), Gen: 2, Duration: 700 * time.Millisecond},
		started(6, 2, 4343),
		runner.ChildExited{Time: at(6), Gen: 2, PID: 4343, ExitCode: 1, Status: "exit status 1", Crashed: true,
			StderrTail: []string{"reading config: MCP_PORT: not a number"}},
	}
	t.Run("older_generation_serving", func(t *testing.T) {
		m := feed(at80x24(), startup()...)
		m = feed(m, broken[:3]...)
		if m.State() != StateStarting {
			t.Errorf("while generation 2 starts: state %q", m.State())
		}
		m = feed(m, broken[3:]...)
		m = feed(m, runner.StartFailed{Time: at(6), Gen: 2, Err: errors.New("exited before answering /health"), Serving: 1})
		if m.State() != StateRunning {
			t.Errorf("state %q, want %q: generation 1 still serves", m.State(), StateRunning)
		}
		v := m.View()
		for _, want := range []string{"Generation 2 did not start: exited before answering", "generation 1 still serving", "MCP_PORT: not a number", "generation 1 · pid 4242"} {
			if !strings.Contains(flat(v), want) {
				t.Errorf("no %q in:\n%s", want, v)
			}
		}
		checkFits(t, m)
		golden.RequireEqual(t, []byte(v))
		if cleared, _ := press(m, "c"); strings.Contains(cleared.View(), "did not start") {
			t.Errorf("c leaves the report of a failed start while generation 1 serves:\n%s", cleared.View())
		}

		m = feed(m, runner.BuildStarted{Time: at(8), Gen: 3}, runner.BuildSucceeded{Time: at(9), Gen: 3, Duration: time.Second},
			started(9, 3, 4444), runner.Ready{Time: at(9), Gen: 3, PID: 4444, Reloads: 1})
		if v := m.View(); strings.Contains(v, "did not start") || m.State() != StateRunning {
			t.Errorf("a later ready generation leaves the report:\n%s", v)
		}
	})
	t.Run("nothing_serving", func(t *testing.T) {
		first := startup()[:4]
		m := feed(at80x24(), first...)
		m = feed(m, runner.ChildExited{Time: at(2), Gen: 1, PID: 4242, ExitCode: 1, Status: "exit status 1", Crashed: true,
			StderrTail: []string{"listen tcp: address already in use"}, RestartIn: time.Second},
			runner.StartFailed{Time: at(2), Gen: 1, Err: errors.New("exited before answering /health"), RestartIn: time.Second})
		if m.State() != StateStartFailed {
			t.Errorf("state %q, want %q", m.State(), StateStartFailed)
		}
		if v := m.View(); !strings.Contains(v, "start failed · generation 1") || !strings.Contains(v, "retrying in 1s") || !strings.Contains(v, "address already in use") {
			t.Errorf("view:\n%s", v)
		}
	})
	t.Run("no_process", func(t *testing.T) {
		// The environment could not be read: no process, no ChildExited, still a reason.
		m := feed(at80x24(), startup()[:3]...)
		m = feed(m, runner.StartFailed{Time: at(2), Gen: 1, Err: errors.New("preparing the server's environment: .env line 3: bad")})
		if v := flat(m.View()); m.State() != StateStartFailed || !strings.Contains(v, ".env line 3: bad") || !strings.Contains(v, "save a file to retry") {
			t.Errorf("state %q:\n%s", m.State(), m.View())
		}
	})
}

// A notice (runner.Error) goes away with c, and when a later generation is ready.
func TestNoticesClear(t *testing.T) {
	m := feed(at80x24(), startup()...)
	m = feed(m, runner.Error{Time: at(3), Err: errors.New("carrying session abc: connection refused")})
	if !strings.Contains(m.View(), "connection refused") {
		t.Fatalf("notice not shown:\n%s", m.View())
	}
	m, _ = press(m, "c")
	if strings.Contains(m.View(), "connection refused") {
		t.Errorf("c left the notice:\n%s", m.View())
	}
	m = feed(m, runner.Error{Time: at(4), Err: errors.New("carrying session def: connection refused")})
	m = feed(m, runner.BuildStarted{Time: at(5), Gen: 2}, runner.BuildSucceeded{Time: at(6), Gen: 2},
		started(6, 2, 4343), runner.Ready{Time: at(6), Gen: 2, PID: 4343, Reloads: 1})
	if strings.Contains(m.View(), "connection refused") {
		t.Errorf("a later ready generation left the notice:\n%s", m.View())
	}
}

// A crash of the serving process stays viewable after the automatic restart replaced it:
// a Crash line, and l shows its output. The restart is counted as one, not as a reload.
func TestLastCrashStaysViewable(t *testing.T) {
	m := feed(at80x24(), startup()...)
	m = feed(m,
		runner.ChildExited{Time: at(9), Gen: 1, PID: 4242, ExitCode: 2, Status: "exit status 2", Crashed: true,
			StderrTail: []string{"level=INFO msg=request method=POST path=/mcp status=200 duration=1ms", "panic: boom", "goroutine 1 [running]:"},
			RestartIn:  500 * time.Millisecond},
		started(10, 2, 4343),
		runner.Ready{Time: at(10), Gen: 2, PID: 4343, Restart: true, Restarts: 1})
	v := m.View()
	if m.State() != StateRunning || !strings.Contains(v, "generation 1: exit status 2") || !strings.Contains(v, "l: show output") {
		t.Fatalf("crash gone after the restart:\n%s", v)
	}
	if !strings.Contains(v, "0 reloads · 1 restart after a crash") {
		t.Errorf("restart counted as a reload:\n%s", v)
	}
	if strings.Contains(v, "panic: boom") {
		t.Errorf("output shown before l:\n%s", v)
	}
	m, _ = press(m, "l")
	if v := m.View(); !strings.Contains(v, "Last crash: generation 1") || !strings.Contains(v, "panic: boom") {
		t.Errorf("l does not show the crash output:\n%s", v)
	}
	if v := m.View(); strings.Contains(v, "msg=request") {
		t.Errorf("the crash output repeats the request log:\n%s", v)
	}
	checkFits(t, m)
	golden.RequireEqual(t, []byte(m.View()))
	m, _ = press(m, "l")
	if strings.Contains(m.View(), "panic: boom") {
		t.Errorf("second l leaves the output:\n%s", m.View())
	}
	m, _ = press(m, "c")
	if v := m.View(); strings.Contains(v, "exit status 2") || strings.Contains(v, "l last crash") {
		t.Errorf("c leaves the crash:\n%s", v)
	}
}

// The whole program at 80x24, as a terminal shows it: a start that fails while the first
// generation serves, a crash and its restart, a request; the final screen is the golden.
func TestProgramAt80x24(t *testing.T) {
	events := make(chan runner.Event)
	m := New(events, Options{Renderer: asciiRenderer()})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	send := func(evs ...runner.Event) {
		for _, ev := range evs {
			events <- ev
		}
	}
	send(startup()...)
	send(runner.BuildStarted{Time: at(5), Gen: 2, Reason: "main.go changed"},
		runner.BuildSucceeded{Time: at(6), Gen: 2, Duration: 700 * time.Millisecond},
		started(6, 2, 4343),
		runner.ChildExited{Time: at(6), Gen: 2, PID: 4343, ExitCode: 1, Status: "exit status 1", Crashed: true,
			StderrTail: []string{"reading config: MCP_PORT: not a number"}},
		runner.StartFailed{Time: at(6), Gen: 2, Err: errors.New("exited before answering /health"), Serving: 1})
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("did not start")) },
		teatest.WithDuration(10*time.Second))
	send(runner.ChildExited{Time: at(9), Gen: 1, PID: 4242, ExitCode: 2, Status: "exit status 2", Crashed: true,
		StderrTail: []string{"panic: boom"}, RestartIn: 500 * time.Millisecond},
		started(10, 3, 4444),
		runner.Ready{Time: at(10), Gen: 3, PID: 4444, Restart: true, Restarts: 1},
		runner.Request{Time: at(11), HTTPMethod: "POST", Path: "/mcp", RPCMethod: "tools/call", Tool: "say_hello", Status: 200, Duration: 5 * time.Millisecond, Gen: 3})
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("say_hello")) },
		teatest.WithDuration(10*time.Second))
	close(events)
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(Model)
	if final.State() != StateRunning || final.gen != 3 || final.restarts != 1 || final.reloads != 0 {
		t.Errorf("final model: state %q gen %d restarts %d reloads %d", final.State(), final.gen, final.restarts, final.reloads)
	}
	checkFits(t, final)
	golden.RequireEqual(t, []byte(final.View()))
}

// What the checks after a build found (an unregistered tool) is shown, wrapped, until a
// build without it.
func TestBuildNotices(t *testing.T) {
	note := "tools/forecast.go:9: tool forecastTool and its handler forecast are never registered: add mcp.AddTool(s, forecastTool, forecast) in Register (tools/tools.go)"
	m := feed(at80x24(), startup()...)
	m = feed(m, runner.BuildStarted{Time: at(5), Gen: 2}, runner.BuildSucceeded{Time: at(6), Gen: 2, Duration: time.Second, Notices: []string{note}},
		started(6, 2, 4343), runner.Ready{Time: at(6), Gen: 2, PID: 4343, Reloads: 1})
	if !strings.Contains(flat(m.View()), note) {
		t.Errorf("notice missing or cut:\n%s", m.View())
	}
	checkFits(t, m)
	m = feed(m, runner.BuildStarted{Time: at(7), Gen: 3}, runner.BuildSucceeded{Time: at(8), Gen: 3, Duration: time.Second})
	if strings.Contains(m.View(), "never registered") {
		t.Errorf("notice outlived the build that fixed it:\n%s", m.View())
	}
}
