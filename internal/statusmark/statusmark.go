// Package statusmark draws the marks and colours that mcpctl's reports (check, doctor)
// share, so that ✓ ! ✗ - mean the same in each and colour stays one decision of the
// caller's. The marks carry the meaning on their own; colour only adds to it.
package statusmark

// Statuses a report line can have.
const (
	Pass = "pass"
	Warn = "warn"
	Fail = "fail"
	Skip = "skip"
)

// Colour is an ANSI style.
type Colour string

// The styles the reports use.
const (
	Green  Colour = "\x1b[32m"
	Red    Colour = "\x1b[31m"
	Yellow Colour = "\x1b[33m"
	Dim    Colour = "\x1b[2m"
	Bold   Colour = "\x1b[1m"
	reset         = "\x1b[0m"
)

// Paint styles s when color is on.
func Paint(s string, c Colour, color bool) string {
	if !color {
		return s
	}
	return string(c) + s + reset
}

// Mark is the one-cell mark of status: ✓ pass, ! warn, ✗ fail, - skip.
func Mark(status string, color bool) string {
	switch status {
	case Fail:
		return Paint("✗", Red, color)
	case Warn:
		return Paint("!", Yellow, color)
	case Skip:
		return Paint("-", Dim, color)
	}
	return Paint("✓", Green, color)
}
