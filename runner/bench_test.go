package runner

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkDevLoop measures, per session mode:
//   - save-to-ready: writing a one-line change to the dev URL answering with the new
//     behaviour (median of MCPCTL_BENCH_SAMPLES, default 7);
//   - the floor, in the same run: `go build` of the same change plus process start to the
//     first healthy /health;
//   - failed requests of 4 concurrent clients across 10 reloads;
//   - resident memory of the dev process (now and peak) after all that.
//
// Run: go test -run '^$' -bench DevLoop -benchtime 1x ./runner/
func BenchmarkDevLoop(b *testing.B) {
	samples := 7
	if n, err := strconv.Atoi(os.Getenv("MCPCTL_BENCH_SAMPLES")); err == nil && n >= 5 {
		samples = n
	}
	for _, mode := range []string{"stateless", "stateful"} {
		b.Run(mode, func(b *testing.B) { benchDevLoop(b, samples, mode == "stateful") })
	}
}

func benchDevLoop(b *testing.B, samples int, isStateful bool) {
	dir, floorDir := writeFixture(b), writeFixture(b)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	helper, lines := startHelper(b, dir, port, isStateful)
	// ready waits for the next Ready and returns the build and start-up times the dev
	// process measured for it.
	ready := func() (build, startup time.Duration) {
		b.Helper()
		for line := range lines {
			f := strings.Fields(line)
			switch f[0] {
			case "BUILT":
				n, _ := strconv.ParseInt(f[1], 10, 64)
				build = time.Duration(n)
			case "READY":
				n, _ := strconv.ParseInt(f[3], 10, 64)
				return build, time.Duration(n)
			case "STARTED", "TMP":
			default:
				b.Logf("dev: %s", line)
			}
		}
		b.Fatal("dev process ended")
		return 0, 0
	}
	ready()
	url := fmt.Sprintf("http://127.0.0.1:%d/mcp", port)
	cs := connect(b, url, nil, isStateful)
	ctx := context.Background()

	// overhead is the part of save-to-ready that is neither compiling nor the server
	// starting: watcher, debounce, health polling, session carrying, switching. It does
	// not depend on how busy the (shared) machine's compiler is, unlike the difference of
	// two build timings.
	var lat, floor, overhead []time.Duration
	for i := range samples {
		g := fmt.Sprintf("Sample%d", i)
		// Alternate which build goes first: the second of two builds of the same change
		// finds the toolchain and dependencies warm, which is not the dev loop's doing.
		if i%2 == 1 {
			floor = append(floor, floorSample(b, floorDir, g, i))
		}
		start := time.Now()
		setGreeting(b, dir, g, "")
		build, startup := ready()
		if got, err := hello(ctx, cs, "w"); err != nil || got != g+", w!" {
			b.Fatalf("after reload: %q, %v", got, err)
		}
		d := time.Since(start)
		lat = append(lat, d)
		overhead = append(overhead, d-build-startup)
		if i%2 == 0 {
			floor = append(floor, floorSample(b, floorDir, g, i))
		}
	}

	reloads := func() {
		for i := range 10 {
			setGreeting(b, dir, "Load"+strconv.Itoa(i), "")
			ready()
		}
	}
	res := runLoad(b, url, 4, reloads)
	rss, peak := memory(helper.Process.Pid)

	medLat, medFloor := median(lat), median(floor)
	b.ReportMetric(ms(medLat), "save-to-ready-ms")
	b.ReportMetric(ms(medFloor), "floor-ms")
	b.ReportMetric(100*(ms(medLat)-ms(medFloor))/ms(medFloor), "vs-floor-%")
	b.ReportMetric(ms(median(overhead)), "non-build-overhead-ms")
	b.ReportMetric(float64(res.Failed), "failed-requests")
	b.ReportMetric(float64(res.OK+res.Failed), "requests")
	b.ReportMetric(rss, "rss-MB")
	b.ReportMetric(peak, "peak-rss-MB")
	b.Logf("save-to-ready %v", lat)
	b.Logf("floor         %v", floor)
	b.Logf("overhead      %v", overhead)
	if res.Failed > 0 {
		b.Errorf("%d requests failed; first: %v", res.Failed, res.FirstErr)
	}
}

// floorSample is what a reload cannot beat: build the same change, start the binary,
// wait for its first healthy /health.
func floorSample(b *testing.B, dir, greeting string, i int) time.Duration {
	setGreeting(b, dir, greeting, "")
	start := time.Now()
	bin := filepath.Join(dir, "gen-"+strconv.Itoa(i))
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("%v\n%s", err, out)
	}
	addr, err := freeAddr()
	if err != nil {
		b.Fatal(err)
	}
	srv := exec.Command(bin)
	srv.Env = append(os.Environ(), "MCP_LISTEN_ADDR="+addr)
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		srv.Process.Kill()
		srv.Wait()
	}()
	// Measurement polling, as tight as a readiness check can reasonably be.
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		if resp, err := http.Get("http://" + addr + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(start)
			}
		}
		if time.Since(start) > time.Minute {
			b.Fatal("floor server never became healthy")
		}
	}
	return 0
}

// memory returns the current and peak resident set of pid in MB (Linux).
func memory(pid int) (rss, peak float64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			peak = kb / 1024
		}
	}
	return rss, peak
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
