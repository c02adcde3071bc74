package main

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// notesMarker separates the generated part of BENCHMARKS.md from hand-written notes
// (before/after figures, profiles), which a rerun keeps.
const notesMarker = "<!-- Everything below this line is kept when go run ./bench rewrites the file. -->"

func numCPU() int {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	n := 0
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "processor") {
			n++
		}
	}
	return n
}

func (r *results) find(name, mode string) *server {
	for _, s := range r.servers {
		if s.name == name && s.mode == mode {
			return s
		}
	}
	return nil
}

func (r *results) median(s *server, c int, f func(sample) float64) float64 {
	var v []float64
	for _, x := range r.load[s][c] {
		v = append(v, f(x))
	}
	return median(v)
}

// pairedRatio is the median over rounds of f(a) ÷ f(b), each ratio taken within its
// round (a and b were measured back to back; pairGroups).
func (r *results) pairedRatio(a, b *server, c int, f func(sample) float64) string {
	as, bs := r.load[a][c], r.load[b][c]
	var v []float64
	for i := range min(len(as), len(bs)) {
		if x, y := f(as[i]), f(bs[i]); x > 0 && y > 0 {
			v = append(v, x/y)
		}
	}
	if len(v) == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", median(v))
}

func (r *results) failed(s *server) int64 {
	var n int64
	for _, ss := range r.load[s] {
		for _, x := range ss {
			n += x.failed
		}
	}
	return n
}

func (r *results) markdown() string {
	var b strings.Builder
	o := r.opts
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Benchmarks\n\n")
	p("Written by `go run ./bench` on %s (%s). Rerun it to replace the part above the notes.\n\n",
		r.started.UTC().Format("2006-01-02 15:04 MST"), r.finished.Sub(r.started).Round(time.Second))
	p("Tool `say_hello` (`{\"name\":\"Ada\"}`) on every server. The generated server is `mcpctl init` as it comes (API key auth on, request log, body cap, CORS, keep-alive); the bare go-sdk server (`bench/bare`) is `mcp.NewStreamableHTTPHandler` with the same tools (say_hello, long_task, get_weather: the run checks that both list the same) and nothing else; both use go-sdk v1.8.0. Stateless servers are loaded in the 2026-07-28 era, stateful ones in 2025-11-25 (one session per client). Load: `mcpctl bench`'s generator (`loadgen`), keep-alive connections, only correct answers counted.\n\n")
	p("## Machine\n\n")
	for _, l := range r.machine {
		p("- %s\n", l)
	}
	pinned := "servers pinned to CPU " + o.serverCPU + ", load to CPU " + o.loadCPU + " (taskset)"
	if o.serverCPU == "" {
		pinned = "servers and load not pinned (no taskset or one CPU)"
	}
	p("- %s\n", pinned)
	p("- a shared machine: other work ran at the same time, so absolute figures move between runs; every measurement is interleaved (servers take turns, %d %s, medians) and the ratios are the figures to compare. The generated server and bare go-sdk of the same mode are measured back to back (in turn first), and a throughput or CPU ratio is the median of the ratios of the rounds.\n\n", o.rounds, plural(o.rounds, "round", "rounds"))

	p("## Ratios: generated ÷ bare go-sdk\n\n")
	p("| measure | stateless | stateful | target |\n| --- | --- | --- | --- |\n")
	gl, bl := r.find("generated", "stateless"), r.find("bare go-sdk", "stateless")
	gf, bf := r.find("generated", "stateful"), r.find("bare go-sdk", "stateful")
	rate := func(x sample) float64 { return x.rate }
	for _, c := range o.clients {
		p("| throughput, %d %s | %s | %s | ≥ 0.90× |\n", c, clientsWord(c),
			r.pairedRatio(gl, bl, c, rate), r.pairedRatio(gf, bf, c, rate))
	}
	cpu := func(x sample) float64 { return x.cpu }
	for _, c := range o.clients {
		// Calls per server CPU-second: the inverse of CPU per call, so that bigger is better
		// as with throughput.
		p("| calls per CPU-second, %d %s | %s | %s | ≥ 0.90× |\n", c, clientsWord(c),
			r.pairedRatio(bl, gl, c, cpu), r.pairedRatio(bf, gf, c, cpu))
	}
	if cl, cf := r.find(containerName, "stateless"), r.find(containerName, "stateful"); cl != nil && cf != nil {
		for _, c := range o.clients {
			p("| throughput, %d %s, memory ceiling (GOGC=400) | %s | %s | (stretch ≥ 1.00×) |\n", c, clientsWord(c),
				ratio(r.median(cl, c, rate), r.median(bl, c, rate)), ratio(r.median(cf, c, rate), r.median(bf, c, rate)))
		}
		for _, c := range o.clients {
			p("| calls per CPU-second, %d %s, memory ceiling (GOGC=400) | %s | %s | |\n", c, clientsWord(c),
				ratio(r.median(bl, c, cpu), r.median(cl, c, cpu)), ratio(r.median(bf, c, cpu), r.median(cf, c, cpu)))
		}
		p("| RSS after the load, memory ceiling (GOGC=400) | %s | %s | |\n", ratio(r.loadRSS[cl], r.loadRSS[bl]), ratio(r.loadRSS[cf], r.loadRSS[bf]))
	}
	p("| cold start (median of %d) | %s | %s | ≤ 1.20× |\n", o.coldRuns, ratio(median(r.cold[gl]), median(r.cold[bl])), ratio(median(r.cold[gf]), median(r.cold[bf])))
	p("| idle RSS | %s | %s | ≤ 1.20× |\n", ratio(median(r.idle[gl]), median(r.idle[bl])), ratio(median(r.idle[gf]), median(r.idle[bf])))
	if r.sessAfter[gf] > 0 {
		p("| RSS after %d sessions | — | %s | |\n", o.sessions, ratio(r.sessAfter[gf], r.sessAfter[bf]))
	}
	p("\n")

	p("## Throughput (calls/s, median of %d × %s; p50 / p99 latency in ms)\n\n", o.rounds, o.duration)
	p("| server | mode | era |")
	for _, c := range o.clients {
		p(" %d %s |", c, clientsWord(c))
	}
	p(" failed |\n| --- | --- | --- |")
	for range o.clients {
		p(" --- |")
	}
	p(" --- |\n")
	for _, s := range r.servers {
		p("| %s | %s | %s |", s.name, s.mode, r.era[s])
		for _, c := range o.clients {
			p(" %.0f (%.2f / %.2f) |", r.median(s, c, rate), r.median(s, c, func(x sample) float64 { return x.p50 }), r.median(s, c, func(x sample) float64 { return x.p99 }))
		}
		p(" %d |\n", r.failed(s))
	}
	p("\n## Server CPU per call (µs, median of %d)\n\n", o.rounds)
	p("The server's CPU time (all threads, `/proc/PID/task/*/schedstat`) over a measurement, divided by the correct answers. It depends far less than calls/s on how much of its core a shared machine leaves the server.\n\n")
	p("| server | mode |")
	for _, c := range o.clients {
		p(" %d %s |", c, clientsWord(c))
	}
	p("\n| --- | --- |")
	for range o.clients {
		p(" --- |")
	}
	p("\n")
	for _, s := range r.servers {
		p("| %s | %s |", s.name, s.mode)
		for _, c := range o.clients {
			p(" %.0f |", r.median(s, c, cpu))
		}
		p("\n")
	}
	p("\n## Start-up and memory\n\n")
	p("Cold start: process start → first successful `initialize` (median of %d). Idle RSS: a second after that. RSS after the load: right after the last throughput measurement. Sessions: RSS after opening %d sessions (stateful servers only).\n\n", o.coldRuns, o.sessions)
	p("| server | mode | cold start ms | idle RSS MB | RSS after the load MB | RSS after %d sessions MB |\n| --- | --- | --- | --- | --- | --- |\n", o.sessions)
	for _, s := range r.servers {
		sess := "—"
		if v, ok := r.sessAfter[s]; ok {
			sess = fmt.Sprintf("%.1f (from %.1f)", v, r.sessBefore[s])
		}
		p("| %s | %s | %.1f | %.1f | %.1f | %s |\n", s.name, s.mode, median(r.cold[s]), median(r.idle[s]), r.loadRSS[s], sess)
	}
	if r.tsNote != "" {
		p("\n%s\n", r.tsNote)
	}

	p("\n## Dev loop\n\n")
	switch {
	case o.skipDev:
		p("Left out (-skip-dev).\n")
	case r.devErr != nil:
		p("The dev-loop benchmark failed: `%s`\n", firstLine(r.devErr.Error()))
	default:
		p("`mcpctl dev`: save → the dev URL answers with the change, against the floor (`go build` of the same change + start to healthy), medians; then 4 clients under load across 10 reloads (`runner/bench_test.go`).\n\n")
		p("| mode | save-to-ready ms | go build + start ms | ratio (target ≤ 1.15×) | failed / requests across 10 reloads |\n| --- | --- | --- | --- | --- |\n")
		for _, mode := range []string{"stateless", "stateful"} {
			m := r.dev[mode]
			if m == nil {
				continue
			}
			p("| %s | %.0f | %.0f | %s | %.0f / %.0f |\n", mode, m["save-to-ready-ms"], m["floor-ms"], ratio(m["save-to-ready-ms"], m["floor-ms"]), m["failed-requests"], m["requests"])
		}
	}

	p("\n## Rerun\n\n")
	p("From a checkout of mcpctl (Go; node and npm for the TypeScript peer, else it is skipped):\n\n")
	p("```sh\ngo run ./bench                      # everything, writes BENCHMARKS.md (this run took %d min)\n", estimateMinutes(r))
	p("go run ./bench -skip-ts -skip-dev -rounds 5 -out ''   # Go servers only, print only\n")
	p("go run ./bench -profile /tmp/prof   # CPU and allocation profiles of generated and bare (both modes) under 64 clients\n")
	p("mcpctl bench http://127.0.0.1:8000/mcp --call say_hello --args '{\"name\":\"Ada\"}' -c 16   # your own server\n```\n")
	return b.String()
}

func estimateMinutes(r *results) int {
	return max(1, int(r.finished.Sub(r.started).Minutes()+0.5))
}

func clientsWord(n int) string { return plural(n, "client", "clients") }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func ratio(a, b float64) string {
	if a == 0 || b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// writeKeepingNotes writes md, then the marker and whatever followed the marker in the
// existing file.
func writeKeepingNotes(path, md string) error {
	notes := "\n## Notes\n\n"
	if old, err := os.ReadFile(path); err == nil {
		if _, after, ok := strings.Cut(string(old), notesMarker); ok {
			notes = after
		}
	}
	return os.WriteFile(path, []byte(md+"\n"+notesMarker+notes), 0o644)
}
