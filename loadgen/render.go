package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// WriteText prints the report for people.
func (r *Report) WriteText(w io.Writer) {
	what := r.Method
	if r.Tool != "" {
		what += " " + r.Tool
	}
	fmt.Fprintf(w, "%s · protocol %s · %d %s · %.1fs\n", what, r.Protocol, r.Concurrency, plural(r.Concurrency, "client", "clients"), r.Seconds)
	fmt.Fprintf(w, "  calls      %d ok, %d failed\n", r.OK, r.Failed)
	fmt.Fprintf(w, "  throughput %.0f calls/s\n", r.Throughput)
	if r.OK > 0 {
		l := r.Latency
		fmt.Fprintf(w, "  latency    p50 %s  p90 %s  p99 %s  max %s\n", ms(l.P50), ms(l.P90), ms(l.P99), ms(l.Max))
	}
	for _, c := range r.Classes() {
		fmt.Fprintf(w, "  error      %-14s %d  (%s)\n", c, r.Errors[c], r.Samples[c])
	}
}

// WriteJSON prints the versioned report.
func (r *Report) WriteJSON(w io.Writer) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(r)
}

// String is the progress line.
func (p Progress) String() string {
	rate := 0.0
	if s := p.Elapsed.Seconds(); s > 0 {
		rate = float64(p.OK) / s
	}
	return fmt.Sprintf("%s  %d ok  %d failed  %.0f calls/s", p.Elapsed.Round(100*time.Millisecond), p.OK, p.Failed, rate)
}

func ms(v float64) string {
	if v < 10 {
		return fmt.Sprintf("%.2fms", v)
	}
	return fmt.Sprintf("%.1fms", v)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
