package probe

import (
	"fmt"
	"io"
	"time"

	"github.com/mcpctl/mcpctl/internal/statusmark"
)

// stepNameWidth aligns step names in the human report.
const stepNameWidth = len(StepOAuthResource)

// WriteStep writes one step as a line of the human report, with its hint on the next
// line for failures and warnings. The symbols carry the meaning without colour.
func WriteStep(w io.Writer, s Step, color bool) {
	dur := ""
	if s.Status != StatusSkip {
		dur = formatMillis(s.DurationMS)
	}
	line := fmt.Sprintf("%s %-*s %7s  %s", statusmark.Mark(s.Status, color), stepNameWidth, s.Name, dur, s.Detail)
	fmt.Fprintln(w, line)
	if s.Hint != "" && s.Status != StatusPass {
		// Under the detail column: symbol, name, duration and their separators.
		fmt.Fprintf(w, "%*s→ %s\n", stepNameWidth+12, "", s.Hint)
	}
}

// WriteVerdict writes the closing lines of the human report: the summary, and for a
// failure the next step and the exit code.
func (r *Report) WriteVerdict(w io.Writer, color bool) {
	fmt.Fprintln(w)
	if r.OK {
		fmt.Fprintf(w, "%s %s in %s\n", statusmark.Paint("OK", statusmark.Green, color), r.Summary, formatMillis(r.DurationMS))
		return
	}
	fmt.Fprintf(w, "%s (%s, exit %d): %s\n", statusmark.Paint("FAILED", statusmark.Red, color), r.Class, r.ExitCode, r.Summary)
	if r.Hint != "" {
		fmt.Fprintf(w, "Next: %s\n", r.Hint)
	}
}

// WriteText writes the whole human report: a header, every step, and the verdict.
func (r *Report) WriteText(w io.Writer, color bool) {
	WriteHeader(w, r.URL)
	for _, s := range r.Steps {
		WriteStep(w, s, color)
	}
	r.WriteVerdict(w, color)
}

// WriteHeader writes the line that opens the human report, before any step has run.
func WriteHeader(w io.Writer, url string) {
	fmt.Fprintf(w, "Checking %s\n\n", url)
}

func formatMillis(ms int64) string {
	d := time.Duration(ms) * time.Millisecond
	if d < time.Second {
		return fmt.Sprintf("%dms", ms)
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}
