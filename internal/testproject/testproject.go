// Package testproject gives tests a real generated server: a project rendered from
// mcpctl's templates exactly as `mcpctl init` writes it, built with the go command, and
// started as its own process on a loopback port.
package testproject

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcpctl/mcpctl/scaffold"
)

// Project is a built generated project.
type Project struct {
	Dir string
	Key string // the API key init wrote to .env ("" without apikey auth)
	Bin string // the server binary
}

// Build renders p into a temporary directory and builds it. Zero fields of p get the
// defaults of `mcpctl init` (name "testsrv", apikey auth, /mcp, stateless). It skips the
// test under -short: building a generated project belongs to the full tier.
func Build(t testing.TB, p scaffold.Project) *Project {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a generated project (not under -short)")
	}
	if p.Auth == "" {
		p.Auth = "apikey"
		p.Stateless = true
	}
	dir, key := Render(t, p)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", "bin/", "./...")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the generated project: %v\n%s", err, out)
	}
	return &Project{Dir: dir, Key: key, Bin: filepath.Join(dir, "bin", filepath.Base(dir))}
}

// Render writes p into a new temporary directory exactly as `mcpctl init` does, and
// returns that directory and the API key written to .env. Zero fields get init's
// defaults (name "testsrv", module example.com/NAME, /mcp, port 8000, apikey auth).
func Render(t testing.TB, p scaffold.Project) (dir, key string) {
	t.Helper()
	if p.Name == "" {
		p.Name = "testsrv"
	}
	if p.Module == "" {
		p.Module = "example.com/" + p.Name
	}
	if p.Path == "" {
		p.Path = "/mcp"
	}
	if p.Port == 0 {
		p.Port = 8000
	}
	if p.Auth == "" {
		p.Auth = "apikey"
	}
	p.Dir = filepath.Join(t.TempDir(), p.Name)
	plan, key, err := p.Plan()
	if err != nil {
		t.Fatal(err)
	}
	if err := scaffold.Apply(p.Dir, plan); err != nil {
		t.Fatal(err)
	}
	return p.Dir, key
}

var listeningRE = regexp.MustCompile(`msg=listening addr=(\S+)`)

// Start runs the server on a kernel-chosen loopback port with env added to the test's
// environment, and returns its base URL (no path) once its log says it listens. It is
// stopped with SIGTERM when the test ends.
func (p *Project) Start(t testing.TB, env ...string) string {
	t.Helper()
	c := exec.Command(p.Bin)
	c.Dir = p.Dir
	c.Env = append(os.Environ(), append([]string{"MCP_LISTEN_ADDR=127.0.0.1:0"}, env...)...)
	stderr, err := c.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	addr := make(chan string, 1)
	var logTail strings.Builder
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
				break
			}
			logTail.WriteString(sc.Text() + "\n")
		}
		// Keep draining so the server never blocks on a full pipe.
		_, _ = io.Copy(io.Discard, stderr)
		done <- c.Wait()
	}()
	t.Cleanup(func() {
		_ = c.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = c.Process.Kill()
			<-done
		}
	})
	select {
	case a := <-addr:
		return "http://" + a
	case err := <-done:
		t.Fatalf("the generated server exited before listening: %v\n%s", err, logTail.String())
	case <-time.After(30 * time.Second):
		t.Fatal("the generated server did not log `listening` within 30s")
	}
	return ""
}
