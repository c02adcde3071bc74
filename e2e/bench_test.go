package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcpctl/mcpctl/internal/mcpwire"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// BenchmarkInit measures `mcpctl init` wall time, process start included, without and
// with git.
func BenchmarkInit(b *testing.B) {
	for _, git := range []bool{false, true} {
		b.Run(fmt.Sprintf("git=%v", git), func(b *testing.B) {
			parent := b.TempDir()
			for i := 0; b.Loop(); i++ {
				args := []string{"init", fmt.Sprintf("bench-%d", i), "--yes"}
				if !git {
					args = append(args, "--no-git")
				}
				c := exec.Command(mcpctlBin, args...)
				c.Dir = parent
				c.Env = append(os.Environ(), gitEnv...)
				if out, err := c.CombinedOutput(); err != nil {
					b.Fatalf("%v\n%s", err, out)
				}
			}
		})
	}
}

// BenchmarkColdStart measures a generated server from process start to the first
// successful MCP initialize reply, and reports its resident memory once idle.
func BenchmarkColdStart(b *testing.B) {
	parent := b.TempDir()
	c := exec.Command(mcpctlBin, "init", "cold", "--yes", "--no-git")
	c.Dir = parent
	if out, err := c.CombinedOutput(); err != nil {
		b.Fatalf("%v\n%s", err, out)
	}
	dir := filepath.Join(parent, "cold")
	build := exec.Command("go", "build", "-o", "bin/", "./...")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("%v\n%s", err, out)
	}
	envData, _ := os.ReadFile(filepath.Join(dir, ".env"))
	var key string
	for _, line := range strings.Split(string(envData), "\n") {
		if v, ok := strings.CutPrefix(line, "MCP_API_KEY="); ok {
			key = v
		}
	}
	var rssKB float64
	runs := 0
	for b.Loop() {
		port := freePort(b)
		srv := exec.Command(filepath.Join(dir, "bin", "cold"))
		srv.Env = append(os.Environ(), "PORT="+strconv.Itoa(port), "MCP_API_KEY="+key)
		start := time.Now()
		if err := srv.Start(); err != nil {
			b.Fatal(err)
		}
		endpoint := fmt.Sprintf("http://127.0.0.1:%d/mcp", port)
		for {
			transport := &mcp.StreamableClientTransport{
				Endpoint:             endpoint,
				HTTPClient:           &http.Client{Transport: mcpwire.WithHeader(nil, http.Header{"X-Api-Key": {key}})},
				MaxRetries:           -1,
				DisableStandaloneSSE: true,
			}
			cs, err := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "0"}, nil).Connect(context.Background(), transport, nil)
			if err == nil {
				cs.Close()
				break
			}
			if time.Since(start) > 20*time.Second {
				b.Fatalf("no initialize reply after 20s: %v", err)
			}
			time.Sleep(time.Millisecond)
		}
		b.StopTimer()
		time.Sleep(200 * time.Millisecond) // let it settle to idle before reading RSS
		rssKB += vmRSS(b, srv.Process.Pid)
		runs++
		srv.Process.Kill()
		srv.Wait()
		b.StartTimer()
	}
	b.ReportMetric(rssKB/float64(runs)/1024, "idle-RSS-MiB")
}

// vmRSS reads a process's resident set size in KiB.
func vmRSS(b *testing.B, pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.Fields(v)[0], 64)
			return kb
		}
	}
	b.Fatal("no VmRSS")
	return 0
}
