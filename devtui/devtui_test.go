package devtui

import (
	"bytes"
	"errors"
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
		runner.BuildStarted{Time: at(5), Gen: 2, Reason: "tools/hello.go changed"},
		runner.BuildFailed{Time: at(6), Gen: 2, Duration: 420 * time.Millisecond, Errors: []runner.CompileError{
			{File: "tools/hello.go", Line: 12, Col: 5, Message: "undefined: greet"}}},
		runner.BuildStarted{Time: at(7), Gen: 3, Reason: "tools/hello.go changed"},
		runner.BuildSucceeded{Time: at(8), Gen: 3, Duration: 1234 * time.Millisecond},
		runner.ChildStarted{Time: at(8), Gen: 3, PID: 4343, Addr: "127.0.0.1:40002",
			Auth: runner.Auth{Mode: "apikey", Header: "x-api-key", Value: testKey}},
		runner.Ready{Time: at(8), Gen: 3, PID: 4343, Reloads: 1, Startup: 12 * time.Millisecond, Sessions: 2},
		runner.ChildExited{Time: at(8), Gen: 1, PID: 4242, Status: "exit status 0"},
		runner.ChildExited{Time: at(9), Gen: 3, PID: 4343, ExitCode: 2, Status: "exit status 2", Crashed: true,
			StderrTail: []string{"panic: boom"}, RestartIn: 500 * time.Millisecond},
		runner.Error{Time: at(10), Err: errors.New("generation 4 did not start: exited before answering /health")},
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
	golden.RequireEqual(t, buf.Bytes())
}
