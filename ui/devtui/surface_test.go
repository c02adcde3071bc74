package devtui

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest"

	"github.com/mcpctl/mcpctl/runner"
)

const playURL = "http://127.0.0.1:8000/_mcpctl/?token=abc"

var breakingSurface = SurfaceMsg{Time: at(9), Gen: 2, Tools: 2, Summary: "1 tool changed; 2 breaking changes", Breaking: true,
	Lines: []string{"~ say_hello: description changed", "! say_hello input.name: argument removed (breaking)", "! say_hello input.who: new required argument (breaking)"}}

// o opens the playground's link, shown on the dashboard; a failure to open says what to do.
func TestOpenPlaygroundKey(t *testing.T) {
	var opened []string
	m := sized(New(nil, Options{Renderer: asciiRenderer(), PlaygroundURL: playURL, OpenURL: func(u string) error {
		opened = append(opened, u)
		return errors.New("no browser")
	}}), 100, 30)
	m = feed(m, startup()...)
	if v := m.View(); !strings.Contains(v, playURL) || !strings.Contains(v, "o playground") {
		t.Fatalf("the view does not offer the playground:\n%s", v)
	}
	m, cmd := press(m, "o")
	if cmd == nil {
		t.Fatal("o returned no command")
	}
	next, _ := m.Update(cmd())
	m = next.(Model)
	if len(opened) != 1 || opened[0] != playURL {
		t.Fatalf("opened %v", opened)
	}
	if v := flat(m.View()); !strings.Contains(v, "no browser; open "+playURL+" yourself") {
		t.Errorf("failure not shown:\n%s", v)
	}
	// Without a playground, o does nothing.
	if _, cmd := press(feed(newTestModel(), startup()...), "o"); cmd != nil {
		t.Error("o without a playground returned a command")
	}
}

// A reload's tool changes are shown under the header, breaking ones first, in the
// running program.
func TestSurfaceInTheDashboard(t *testing.T) {
	events := make(chan runner.Event)
	m := New(events, Options{Renderer: asciiRenderer(), PlaygroundURL: playURL})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(110, 30))
	for _, ev := range startup() {
		events <- ev
	}
	tm.Send(SurfaceMsg{Time: at(2), Gen: 1, First: true, Tools: 2})
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("2 tools (generation 1)")) },
		teatest.WithDuration(10*time.Second))
	tm.Send(breakingSurface)
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains(b, []byte("generation 2: 1 tool changed; 2 breaking changes")) && bytes.Contains(b, []byte("input.who: new required argument (breaking)"))
	}, teatest.WithDuration(10*time.Second))
	close(events)
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(Model)
	lines := final.surfaceLines()
	if len(lines) != 4 || !strings.Contains(lines[1], "(breaking)") || !strings.Contains(lines[3], "description changed") {
		t.Errorf("breaking changes not first:\n%s", strings.Join(lines, "\n"))
	}
	// An unchanged reload keeps the last change on screen.
	next, _ := final.Update(SurfaceMsg{Gen: 3, Tools: 2, Summary: "no changes to the tools"})
	if got := next.(Model).surface.Gen; got != 2 {
		t.Errorf("an unchanged reload replaced the last change (gen %d)", got)
	}
}

func TestPrinterSurfaceAndLink(t *testing.T) {
	var buf bytes.Buffer
	p := &Printer{W: &buf, PlaygroundURL: playURL}
	p.Print(runner.Listening{Time: at(0), URL: "http://127.0.0.1:8000/mcp"})
	p.Surface(SurfaceMsg{Time: at(1), Gen: 1, First: true, Tools: 2})
	p.Surface(SurfaceMsg{Time: at(2), Gen: 2, Tools: 2, Summary: "no changes to the tools"})
	p.Surface(breakingSurface)
	want := "10:00:00 serving http://127.0.0.1:8000/mcp (changes rebuild and reload; Ctrl-C stops)\n" +
		"10:00:00 playground: " + playURL + "\n" +
		"10:00:01 generation 1 offers 2 tools\n" +
		"10:00:09 tools changed in generation 2: 1 tool changed; 2 breaking changes\n" +
		"    ~ say_hello: description changed\n" +
		"    ! say_hello input.name: argument removed (breaking)\n" +
		"    ! say_hello input.who: new required argument (breaking)\n"
	if buf.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
}
