package deployui

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/mcpctl/mcpctl/deployers"
)

func renderer() *lipgloss.Renderer {
	r := lipgloss.NewRenderer(&bytes.Buffer{})
	r.SetColorProfile(termenv.Ascii)
	return r
}

func TestViewFollowsEvents(t *testing.T) {
	m := New(nil, renderer())
	for _, msg := range []any{
		deployers.Event{Phase: deployers.PhasePreflight},
		deployers.Event{Phase: deployers.PhasePreflight, Done: true},
		deployers.Event{Phase: deployers.PhaseApp},
		deployers.Event{Phase: deployers.PhaseApp, Message: "creating app weather in region us"},
		deployers.Event{Phase: deployers.PhaseApp, Done: true, Message: "weather"},
		deployers.Event{Phase: deployers.PhasePush},
	} {
		next, _ := m.Update(msg)
		m = next.(Model)
	}
	for i := range 12 {
		next, _ := m.Update(Output("remote: line " + string(rune('a'+i))))
		m = next.(Model)
	}
	view := m.View()
	for _, want := range []string{"✓ preflight", "✓ app · weather", "push", "remote: line l", "creating app weather"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}
	if strings.Contains(view, "remote: line a") {
		t.Errorf("view keeps more than the last %d output lines:\n%s", tailLines, view)
	}

	next, _ := m.Update(deployers.Event{Phase: deployers.PhaseRollback})
	m = next.(Model)
	if !strings.Contains(m.View(), "✗ push") {
		t.Errorf("a phase left unfinished is not marked failed:\n%s", m.View())
	}
	next, cmd := m.Update(Done{Err: errors.New("push failed")})
	m = next.(Model)
	if cmd == nil {
		t.Fatal("Done does not quit")
	}
	view = m.View()
	if !strings.Contains(view, "✗ push") || !strings.Contains(view, "✗ rollback") || strings.Contains(view, "remote: line") {
		t.Errorf("final view:\n%s", view)
	}
}

// The program runs to the end of the message stream on its own.
func TestProgramEndsOnDone(t *testing.T) {
	msgs := make(chan any, 8)
	msgs <- deployers.Event{Phase: deployers.PhasePreflight}
	msgs <- deployers.Event{Phase: deployers.PhasePreflight, Done: true}
	msgs <- Done{}
	tm := teatest.NewTestModel(t, New(msgs, renderer()), teatest.WithInitialTermSize(80, 20))
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(Model)
	if !final.done || final.failed || !strings.Contains(final.View(), "✓ preflight") {
		t.Fatalf("final model %+v\n%s", final, final.View())
	}
}
