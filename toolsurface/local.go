package toolsurface

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/mcpctl/mcpctl/internal/executor"
)

// LocalOptions say how to build and run a project to list its tools.
type LocalOptions struct {
	Dir     string   // project root
	Package string   // main package to build ("." when empty)
	Path    string   // MCP endpoint path ("/mcp" when empty)
	Env     []string // the server's settings on top of the process environment
	Exec    executor.Executor
	// StartTimeout bounds the wait for /health (30s when zero).
	StartTimeout time.Duration
}

// Local builds the project, starts it on a private loopback port without authentication
// (only this process talks to it), lists its tools and stops it.
func Local(ctx context.Context, o LocalOptions) ([]Tool, error) {
	if o.Package == "" {
		o.Package = "."
	}
	if o.Path == "" {
		o.Path = "/mcp"
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 30 * time.Second
	}
	if o.Exec == nil {
		o.Exec = executor.System{}
	}
	tmp, err := os.MkdirTemp("", "mcpctl-surface-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "server")
	if _, err := o.Exec.Run(ctx, executor.Cmd{Name: "go", Args: []string{"build", "-o", bin, o.Package}, Dir: o.Dir}); err != nil {
		return nil, fmt.Errorf("building the local project: %w", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Dir = o.Dir
	cmd.Env = append(os.Environ(), o.Env...)
	// Loopback only, and nobody else knows the port: no key needed to list the tools.
	cmd.Env = append(cmd.Env, "MCP_LISTEN_ADDR="+addr, "MCP_AUTH=none", "MCP_PATH="+o.Path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the local server: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	defer func() { cancel(); <-exited }()

	if err := waitHealth(ctx, "http://"+addr+"/health", exited, o.StartTimeout); err != nil {
		return nil, fmt.Errorf("starting the local server: %w\n%s", err, tail(stderr.String(), 10))
	}
	return Fetch(ctx, "http://"+addr+o.Path, nil, nil)
}

func waitHealth(ctx context.Context, url string, exited <-chan struct{}, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	interval := 5 * time.Millisecond
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		t := time.NewTimer(interval)
		select {
		case <-exited:
			t.Stop()
			return errors.New("it exited before answering /health")
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("no answer on /health within %s", timeout)
		case <-t.C:
		}
		interval = min(interval*2, 100*time.Millisecond)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
