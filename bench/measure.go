package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mcpctl/mcpctl/loadgen"
)

// sample is one throughput measurement.
type sample struct {
	rate, p50, p99 float64
	// cpu is the server's CPU time per correct answer in µs (all its threads): unlike
	// calls/s it hardly depends on how much of its core the shared machine leaves it.
	cpu    float64
	failed int64
}

type results struct {
	opts              options
	machine           []string
	tsNote            string
	started, finished time.Time

	servers []*server
	cold    map[*server][]float64 // ms
	idle    map[*server][]float64 // MB
	load    map[*server]map[int][]sample
	era     map[*server]string
	// sessions: RSS in MB before and after opening opts.sessions sessions.
	sessBefore, sessAfter map[*server]float64
	// loadRSS: RSS in MB right after the last throughput measurement.
	loadRSS map[*server]float64

	dev    map[string]map[string]float64
	devErr error
}

func measureCold(ctx context.Context, o options, servers []*server, res *results) error {
	res.servers = servers
	res.cold, res.idle = map[*server][]float64{}, map[*server][]float64{}
	logf("cold start: %d runs per server, interleaved", o.coldRuns)
	for i := range o.coldRuns {
		for j := range servers {
			s := servers[(i+j)%len(servers)]
			d, err := s.start(ctx)
			if err != nil {
				return err
			}
			res.cold[s] = append(res.cold[s], float64(d)/float64(time.Millisecond))
			if i < 3 {
				// Idle: started, one session opened, nothing else for a second.
				time.Sleep(time.Second)
				res.idle[s] = append(res.idle[s], rssMB(s.pid()))
			}
			s.stop()
		}
	}
	return nil
}

func measureThroughput(ctx context.Context, o options, servers []*server, res *results) error {
	res.load, res.era, res.loadRSS = map[*server]map[int][]sample{}, map[*server]string{}, map[*server]float64{}
	for _, s := range servers {
		if _, err := s.start(ctx); err != nil {
			return err
		}
		defer s.stop()
		res.load[s] = map[int][]sample{}
	}
	total := o.rounds * len(o.clients) * len(servers)
	n := 0
	groups := pairGroups(servers)
	for r := range o.rounds {
		for ci, c := range o.clients {
			for _, s := range roundOrder(groups, r+ci, r%2 == 1) {
				n++
				lo := loadgen.Options{
					URL: s.url, Header: s.header(), Tool: "say_hello", Args: json.RawMessage(`{"name":"Ada"}`),
					Concurrency: c, Duration: o.warmup, Timeout: 30 * time.Second,
				}
				if _, err := loadgen.Run(ctx, lo); err != nil {
					return fmt.Errorf("%s, %d clients (warm-up): %w", s.label(), c, err)
				}
				lo.Duration = o.duration
				cpu0 := cpuNanos(s.pid())
				rep, err := loadgen.Run(ctx, lo)
				if err != nil {
					return fmt.Errorf("%s, %d clients: %w", s.label(), c, err)
				}
				var cpu float64
				if cpu1 := cpuNanos(s.pid()); cpu0 > 0 && cpu1 > cpu0 && rep.OK > 0 {
					cpu = float64(cpu1-cpu0) / 1e3 / float64(rep.OK)
				}
				res.era[s] = rep.Protocol
				res.load[s][c] = append(res.load[s][c], sample{rate: rep.Throughput, p50: rep.Latency.P50, p99: rep.Latency.P99, cpu: cpu, failed: rep.Failed})
				res.loadRSS[s] = rssMB(s.pid())
				logf("[%d/%d] %-34s %3d clients  %7.0f calls/s  %5.0f µs CPU/call  p50 %.2fms  p99 %.2fms  failed %d",
					n, total, s.label(), c, rep.Throughput, cpu, rep.Latency.P50, rep.Latency.P99, rep.Failed)
			}
		}
	}
	return nil
}

// pairGroups puts each generated server next to the bare one of its mode, so that the two
// are measured back to back and their ratio is taken within a round (pairedRatio): this
// machine's speed drifts between measurements far more than within a few seconds.
func pairGroups(servers []*server) [][]*server {
	var groups [][]*server
	paired := map[*server]bool{}
	for _, s := range servers {
		if paired[s] {
			continue
		}
		g := []*server{s}
		if s.name == "generated" {
			for _, b := range servers {
				if b.name == "bare go-sdk" && b.mode == s.mode && !paired[b] {
					g = append(g, b)
					paired[b] = true
					break
				}
			}
		}
		paired[s] = true
		groups = append(groups, g)
	}
	return groups
}

// roundOrder is the order of one round: the groups rotated by shift, each pair in turn
// first or second.
func roundOrder(groups [][]*server, shift int, swap bool) []*server {
	var order []*server
	for i := range groups {
		g := groups[(shift+i)%len(groups)]
		if swap && len(g) == 2 {
			g = []*server{g[1], g[0]}
		}
		order = append(order, g...)
	}
	return order
}

func measureSessions(ctx context.Context, o options, servers []*server, res *results) error {
	res.sessBefore, res.sessAfter = map[*server]float64{}, map[*server]float64{}
	for _, s := range servers {
		if s.mode != "stateful" {
			continue
		}
		logf("%s: RSS after %d sessions", s.label(), o.sessions)
		if _, err := s.start(ctx); err != nil {
			return err
		}
		time.Sleep(time.Second)
		res.sessBefore[s] = rssMB(s.pid())
		hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
		var wg sync.WaitGroup
		var mu sync.Mutex
		var firstErr error
		next := make(chan struct{})
		for range 8 {
			wg.Go(func() {
				for range next {
					if _, err := openSession(hc, s.url, s.header()); err != nil {
						mu.Lock()
						firstErr = err
						mu.Unlock()
					}
				}
			})
		}
		for range o.sessions {
			next <- struct{}{}
		}
		close(next)
		wg.Wait()
		if firstErr != nil {
			s.stop()
			return fmt.Errorf("%s: opening sessions: %w", s.label(), firstErr)
		}
		time.Sleep(time.Second)
		res.sessAfter[s] = rssMB(s.pid())
		s.stop()
	}
	return nil
}

// measureDev runs the runner's dev-loop benchmark and reads its metrics per mode.
func measureDev(ctx context.Context, root string) (map[string]map[string]float64, error) {
	c := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", "DevLoop", "-benchtime", "1x", "./runner/")
	c.Dir = root
	out, err := c.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%v\n%s", err, out)
	}
	m := map[string]map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "BenchmarkDevLoop/") {
			continue
		}
		mode := strings.TrimPrefix(f[0], "BenchmarkDevLoop/")
		if i := strings.LastIndex(mode, "-"); i > 0 {
			mode = mode[:i]
		}
		m[mode] = map[string]float64{}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err == nil {
				m[mode][f[i+1]] = v
			}
		}
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("no DevLoop results in:\n%s", out)
	}
	return m, nil
}

// pprofFile is dropped into the generated project for -profile builds only.
const pprofFile = `//go:build benchpprof

package main

import (
	"net/http"
	_ "net/http/pprof"
	"os"
)

func init() {
	if a := os.Getenv("MCP_BENCH_PPROF"); a != "" {
		go func() { _ = http.ListenAndServe(a, nil) }()
	}
}
`

// profile loads each server with the largest -clients count while taking a CPU profile,
// then the allocation profile, and writes both with their top lists.
func profile(ctx context.Context, o options, servers []*server) error {
	if err := os.MkdirAll(o.profile, 0o755); err != nil {
		return err
	}
	secs := max(5, int(o.duration.Seconds()))
	clients := slices.Max(o.clients)
	for _, s := range servers {
		s.cpu = o.serverCPU
		pport, err := freePort()
		if err != nil {
			return err
		}
		paddr := "127.0.0.1:" + strconv.Itoa(pport)
		s.env = append(s.env, "MCP_BENCH_PPROF="+paddr)
		if _, err := s.start(ctx); err != nil {
			return err
		}
		base := filepath.Join(o.profile, strings.ReplaceAll(s.name, " ", "-")+"-"+s.mode)
		lo := loadgen.Options{URL: s.url, Header: s.header(), Tool: "say_hello", Args: json.RawMessage(`{"name":"Ada"}`),
			Concurrency: clients, Duration: time.Duration(secs+2) * time.Second}
		var rep *loadgen.Report
		var lerr error
		done := make(chan struct{})
		go func() { rep, lerr = loadgen.Run(ctx, lo); close(done) }()
		time.Sleep(time.Second)
		perr := fetch(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", paddr, secs), base+".cpu.pprof")
		<-done
		if perr == nil {
			perr = fetch("http://"+paddr+"/debug/pprof/allocs", base+".allocs.pprof")
		}
		s.stop()
		if lerr != nil || perr != nil {
			return fmt.Errorf("%s: load %v, profile %v", s.label(), lerr, perr)
		}
		logf("%s: %.0f calls/s with %d clients while profiling; %s.{cpu,allocs}.pprof", s.label(), rep.Throughput, clients, base)
		for _, kind := range []struct{ file, arg string }{{".cpu.pprof", ""}, {".allocs.pprof", "-sample_index=alloc_space"}} {
			args := []string{"tool", "pprof", "-top", "-nodecount=30"}
			if kind.arg != "" {
				args = append(args, kind.arg)
			}
			out, err := exec.CommandContext(ctx, "go", append(args, base+kind.file)...).CombinedOutput()
			if err != nil {
				return fmt.Errorf("go tool pprof: %v\n%s", err, out)
			}
			if err := os.WriteFile(base+kind.file+".txt", out, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// cpuNanos is the CPU time pid has used so far, summed over its threads (Linux
// schedstat, in ns); 0 when unknown.
func cpuNanos(pid int) int64 {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0
	}
	var total int64
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, t.Name()))
		if err != nil {
			continue
		}
		f := strings.Fields(string(b))
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		total += n
	}
	return total
}

func fetch(url, path string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := bufio.NewReader(resp.Body).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// machine describes where the figures were taken.
func machine(ctx context.Context) []string {
	var lines []string
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				_, v, _ := strings.Cut(l, ":")
				lines = append(lines, "CPU: "+strings.TrimSpace(v))
				break
			}
		}
	}
	lines = append(lines, fmt.Sprintf("logical CPUs: %d", numCPU()))
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		l, _, _ := strings.Cut(string(b), "\n")
		lines = append(lines, "memory: "+strings.Join(strings.Fields(strings.TrimPrefix(l, "MemTotal:")), " "))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		lines = append(lines, "load average at start: "+strings.Join(strings.Fields(string(b))[:3], " "))
	}
	if out, err := exec.CommandContext(ctx, "uname", "-sr").Output(); err == nil {
		lines = append(lines, "kernel: "+strings.TrimSpace(string(out)))
	}
	if out, err := exec.CommandContext(ctx, "go", "version").Output(); err == nil {
		lines = append(lines, strings.TrimSpace(string(out)))
	}
	return lines
}
