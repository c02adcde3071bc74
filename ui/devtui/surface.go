package devtui

import (
	"fmt"
	"time"
)

// SurfaceMsg is the tool list of a newly serving generation compared with the one before
// (the playground takes it after each reload). Send it to the program with Program.Send;
// the printer prints it with Surface.
type SurfaceMsg struct {
	Time     time.Time
	Gen      int
	First    bool     // the first list of the run: nothing to compare with
	Tools    int      // how many tools the generation offers
	Summary  string   // "1 tool changed; 2 breaking changes"
	Lines    []string // one per change, breaking ones marked
	Breaking bool
	Err      string // the list could not be taken
}

// openedMsg reports the outcome of opening the playground in a browser.
type openedMsg struct{ err error }

// Surface prints a tool-list change: nothing for the first list or an unchanged one.
func (p *Printer) Surface(s SurfaceMsg) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case s.Err != "":
		p.line(s.Time, "tools of generation %d: %s", s.Gen, s.Err)
	case s.First:
		p.line(s.Time, "generation %d offers %d %s", s.Gen, s.Tools, plural(s.Tools, "tool", "tools"))
	case len(s.Lines) > 0:
		p.line(s.Time, "tools changed in generation %d: %s", s.Gen, s.Summary)
		for _, l := range s.Lines {
			fmt.Fprintf(p.W, "    %s\n", l)
		}
	}
}
