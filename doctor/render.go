package doctor

import (
	"fmt"
	"io"
	"strings"
)

// ANSI colours for the human report; used only when the caller says colour is on.
const (
	ansiGreen  = "\x1b[32m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiDim    = "\x1b[2m"
	ansiBold   = "\x1b[1m"
	ansiReset  = "\x1b[0m"
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
	sym, col := "✓", ansiGreen
	switch c.Status {
	case StatusFail:
		sym, col = "✗", ansiRed
	case StatusWarn:
		sym, col = "!", ansiYellow
	case StatusSkip:
		sym, col = "-", ansiDim
	}
	if color {
		sym = col + sym + ansiReset
	}
	fmt.Fprintf(w, "%s %-*s  %s\n", sym, idWidth, c.ID, c.Detail)
}

// WriteSummary writes every finding with its fix, then the verdict.
func (r *Report) WriteSummary(w io.Writer, color bool) {
	paint := func(col, s string) string {
		if color {
			return col + s + ansiReset
		}
		return s
	}
	for _, f := range r.Findings {
		sym, col := "i", ansiDim
		switch f.Severity {
		case SeverityError:
			sym, col = "✗", ansiRed
		case SeverityWarning:
			sym, col = "!", ansiYellow
		}
		fmt.Fprintf(w, "\n%s %s %s\n", paint(col, sym), paint(ansiBold, "["+f.ID+"]"), f.Title)
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
		fmt.Fprintf(w, "%s %s\n", paint(ansiGreen, "OK"), r.Summary)
	case r.OK():
		fmt.Fprintf(w, "%s with %s: nothing blocks a deploy\n", paint(ansiGreen, "OK"), r.Summary)
	default:
		fmt.Fprintf(w, "%s %s: fix the errors before deploying\n", paint(ansiRed, "FAILED"), r.Summary)
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
