package doctor

import (
	"fmt"
	"io"
	"strings"

	"github.com/mcpctl/mcpctl/internal/statusmark"
)

// idWidth aligns check ids in the human report.
const idWidth = len(CheckStateless)

// WriteHeader writes the line that opens the human report, before any check has run.
func WriteHeader(w io.Writer, dir string) {
	fmt.Fprintf(w, "Checking %s\n\n", dir)
}

// WriteCheck writes one check as a line of the human report. The symbols carry the
// meaning without colour: ✓ pass, ! warning, ✗ error, - skipped.
func WriteCheck(w io.Writer, c CheckResult, color bool) {
	fmt.Fprintf(w, "%s %-*s  %s\n", statusmark.Mark(string(c.Status), color), idWidth, c.ID, c.Detail)
}

// WriteSummary writes every finding with its fix, then the verdict.
func (r *Report) WriteSummary(w io.Writer, color bool) {
	paint := func(c statusmark.Colour, s string) string { return statusmark.Paint(s, c, color) }
	for _, f := range r.Findings {
		mark := paint(statusmark.Dim, "i")
		switch f.Severity {
		case SeverityError:
			mark = statusmark.Mark(statusmark.Fail, color)
		case SeverityWarning:
			mark = statusmark.Mark(statusmark.Warn, color)
		}
		fmt.Fprintf(w, "\n%s %s %s\n", mark, paint(statusmark.Bold, "["+f.ID+"]"), f.Title)
		if f.Detail != "" {
			for _, l := range strings.Split(f.Detail, "\n") {
				fmt.Fprintf(w, "    %s\n", l)
			}
		}
		if f.Fix != "" {
			fmt.Fprintf(w, "    fix: %s\n", f.Fix)
		}
	}
	fmt.Fprintln(w)
	switch {
	case r.OK() && r.Warnings == 0:
		fmt.Fprintf(w, "%s %s\n", paint(statusmark.Green, "OK"), r.Summary)
	case r.OK():
		fmt.Fprintf(w, "%s with %s: nothing blocks a deploy\n", paint(statusmark.Green, "OK"), r.Summary)
	default:
		fmt.Fprintf(w, "%s %s: fix the errors before deploying\n", paint(statusmark.Red, "FAILED"), r.Summary)
	}
	if r.Fast {
		fmt.Fprintln(w, "The build and tests were skipped (--fast).")
	}
}

// WriteText writes the whole human report: a header, every check, the findings and the
// verdict.
func (r *Report) WriteText(w io.Writer, color bool) {
	WriteHeader(w, r.Dir)
	for _, c := range r.Checks {
		WriteCheck(w, c, color)
	}
	r.WriteSummary(w, color)
}
