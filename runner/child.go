package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"time"
)

// child is one running server process. Its Wait is owned by the goroutine started in
// startChild; everyone else learns about the exit through done.
type child struct {
	gen     int
	bin     string
	pid     int
	addr    string
	started time.Time
	stderr  *ring

	done  chan struct{} // closed after Wait returned; state/waitErr are set by then
	state *os.ProcessState
	err   error
}

// childConfig is what startChild needs besides the binary.
type childConfig struct {
	dir    string
	env    []string
	output func(stream, line string) // called for every line the child prints
}

// startChild starts bin in its own process group on addr. The child dies with us on Linux
// (Pdeathsig), so a killed mcpctl leaves no orphan serving an old build.
//
// This is the one process not started through the executor: it is our own build output,
// it runs for as long as it serves, and it needs a process group, a death signal and
// line-by-line output, none of which a run-to-completion executor provides.
func startChild(gen int, bin, addr string, cfg childConfig) (*child, error) {
	c := &child{gen: gen, bin: bin, addr: addr, stderr: newRing(stderrTailLines), done: make(chan struct{})}
	cmd := exec.Command(bin)
	cmd.Dir = cfg.dir
	cmd.Env = append(cfg.env, "MCP_LISTEN_ADDR="+addr)
	stdout := &lineWriter{emit: func(l string) { cfg.output("stdout", l) }}
	stderr := &lineWriter{emit: func(l string) { c.stderr.add(l); cfg.output("stderr", l) }}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = childProcAttr()
	// A grandchild holding our pipes must not keep Wait from returning.
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	c.pid = cmd.Process.Pid
	c.started = time.Now()
	go func() {
		err := cmd.Wait()
		// Wait has joined exec's copying goroutines: the writers are ours now.
		stdout.close()
		stderr.close()
		c.state, c.err = cmd.ProcessState, err
		// The leader is gone; take any process it left in its group with it.
		killGroup(c.pid)
		close(c.done)
	}()
	return c, nil
}

// exited reports whether the process has ended.
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// stop asks the process group to terminate, then kills it after grace. It returns once the
// process is gone.
func (c *child) stop(grace time.Duration) {
	if c.exited() {
		return
	}
	terminateGroup(c.pid)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-c.done:
	case <-t.C:
		killGroup(c.pid)
		<-c.done
	}
}

// exitInfo describes how the process ended. Call only after done is closed.
func (c *child) exitInfo() (code int, status string) {
	if c.state == nil {
		if c.err != nil {
			return -1, c.err.Error()
		}
		return -1, "unknown"
	}
	return c.state.ExitCode(), c.state.String()
}

// waitHealthy polls GET /health until it answers 200, the process exits, ctx ends or
// timeout passes. Polling is the only portable readiness signal a child gives us; the
// interval starts small because a Go server is usually up within milliseconds, and stays
// at most 10ms (a save-to-ready cost, measured by BenchmarkDevLoop) because a poll is one
// local connection.
func waitHealthy(ctx context.Context, c *child, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	url := "http://" + c.addr + "/health"
	interval := time.Millisecond
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		t := time.NewTimer(interval)
		select {
		case <-c.done:
			t.Stop()
			return errExitedEarly
		case <-ctx.Done():
			t.Stop()
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				if err != nil {
					return fmt.Errorf("no healthy /health on %s within %s: %w", c.addr, timeout, err)
				}
				return fmt.Errorf("no healthy /health on %s within %s: last status %d", c.addr, timeout, resp.StatusCode)
			}
			return ctx.Err()
		case <-t.C:
		}
		interval = min(interval*3/2, 10*time.Millisecond)
	}
}

var errExitedEarly = errors.New("exited before answering /health")

// freeAddr picks an unused loopback port. Another process could take it before the child
// binds it; the child then exits, which the runner handles like any failed start.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	l.Close()
	return addr, nil
}

const (
	stderrTailLines = 40
	maxLineBytes    = 64 << 10
)

// ring keeps the last n lines written to it.
type ring struct {
	mu    sync.Mutex
	lines []string
	next  int
	full  bool
}

func newRing(n int) *ring { return &ring{lines: make([]string, n)} }

func (r *ring) add(line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines[r.next] = line
	r.next = (r.next + 1) % len(r.lines)
	if r.next == 0 {
		r.full = true
	}
}

// tail returns the kept lines, oldest first.
func (r *ring) tail() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.full {
		return append([]string(nil), r.lines[:r.next]...)
	}
	return append(append([]string(nil), r.lines[r.next:]...), r.lines[:r.next]...)
}

// lineWriter splits a byte stream into lines. exec copies each pipe from one goroutine,
// so it needs no lock. Over-long lines are cut rather than buffered without bound.
type lineWriter struct {
	emit func(string)
	buf  []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.buf = append(w.buf, p...)
			if len(w.buf) >= maxLineBytes {
				w.flush()
			}
			break
		}
		w.buf = append(w.buf, p[:i]...)
		w.flush()
		p = p[i+1:]
	}
	return n, nil
}

func (w *lineWriter) flush() {
	line := string(w.buf)
	if l := len(line); l > 0 && line[l-1] == '\r' {
		line = line[:l-1]
	}
	w.buf = w.buf[:0]
	w.emit(line)
}

// close emits a last line that had no newline.
func (w *lineWriter) close() {
	if len(w.buf) > 0 {
		w.flush()
	}
}
