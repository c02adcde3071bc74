package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/joho/godotenv"
	"github.com/mcpctl/mcpctl/internal/mcpwire"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// mcpctl runs the built binary in dir and returns its stdout, stderr and exit code.
func mcpctl(t *testing.T, dir string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	c := exec.Command(mcpctlBin, args...)
	c.Dir = dir
	c.Env = append(os.Environ(), "NO_COLOR=1", "CI=true")
	c.Env = append(c.Env, env...)
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &out, &errOut
	err := c.Run()
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running mcpctl %v: %v", args, err)
	}
	return out.String(), errOut.String(), code
}

// gitEnv gives git an identity, so that init's first commit happens on any machine.
var gitEnv = []string{
	"GIT_AUTHOR_NAME=e2e", "GIT_AUTHOR_EMAIL=e2e@example.com",
	"GIT_COMMITTER_NAME=e2e", "GIT_COMMITTER_EMAIL=e2e@example.com",
}

// initProject runs `mcpctl init NAME --yes` in a temporary directory and returns the
// project directory.
func initProject(t *testing.T, name string, extra ...string) string {
	t.Helper()
	parent := t.TempDir()
	args := append([]string{"init", name, "--yes"}, extra...)
	out, errOut, code := mcpctl(t, parent, gitEnv, args...)
	if code != 0 {
		t.Fatalf("mcpctl init exited %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	return filepath.Join(parent, name)
}

// run runs a command in dir and fails the test on error.
func run(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	c := exec.Command(name, args...)
	c.Dir = dir
	c.Env = append(os.Environ(), gitEnv...) // commits work on a machine without a git identity
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// freePort asks the kernel for a loopback port that is free now.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// dotenv reads a generated project's .env.
func dotenv(t *testing.T, dir string) map[string]string {
	t.Helper()
	vars, err := godotenv.Read(filepath.Join(dir, ".env"))
	if err != nil {
		t.Fatal(err)
	}
	return vars
}

// procfileWeb returns the command of the Procfile's web process.
func procfileWeb(t *testing.T, dir string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "Procfile"))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if cmd, ok := strings.CutPrefix(sc.Text(), "web:"); ok {
			return strings.Fields(cmd)
		}
	}
	t.Fatalf("Procfile has no web process:\n%s", data)
	return nil
}

// server is a started generated server.
type server struct {
	cmd    *exec.Cmd
	url    string // base URL, no path
	stderr *syncBuffer
	done   chan error
}

// startServer runs the Procfile's web command in dir the way a platform does: with PORT
// set, and the given environment. It waits for /health.
func startServer(t *testing.T, dir string, env ...string) *server {
	t.Helper()
	argv := procfileWeb(t, dir)
	port := freePort(t)
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PORT="); ok {
			port, _ = strconv.Atoi(v) // a test that must know the URL before the start
		}
	}
	c := exec.Command(filepath.Join(dir, argv[0]), argv[1:]...)
	c.Dir = dir
	c.Env = append(os.Environ(), append([]string{fmt.Sprintf("PORT=%d", port)}, env...)...)
	s := &server{cmd: c, url: fmt.Sprintf("http://127.0.0.1:%d", port), stderr: &syncBuffer{}, done: make(chan error, 1)}
	c.Stdout, c.Stderr = s.stderr, s.stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- c.Wait() }()
	t.Cleanup(func() {
		if c.ProcessState == nil {
			_ = c.Process.Kill()
			<-s.done
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(s.url + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case err := <-s.done:
			t.Fatalf("server exited before it was healthy: %v\n%s", err, s.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not healthy after 20s:\n%s", s.stderr.String())
		}
	}
}

// stop sends SIGTERM and returns the exit error (nil for status 0).
func (s *server) stop(t *testing.T) error {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not exit 30s after SIGTERM:\n%s", s.stderr.String())
		return nil
	}
}

// runDev starts `mcpctl dev --no-tui --port port` in dir, its output in logs; done gets
// its exit. The test's end kills it if it still runs.
func runDev(t *testing.T, dir string, port int) (dev *exec.Cmd, logs *syncBuffer, done <-chan error) {
	t.Helper()
	dev = exec.Command(mcpctlBin, "dev", "--no-tui", "--port", strconv.Itoa(port))
	dev.Dir = dir
	dev.Env = append(os.Environ(), "NO_COLOR=1")
	logs = &syncBuffer{}
	dev.Stdout, dev.Stderr = logs, logs
	if err := dev.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- dev.Wait() }()
	t.Cleanup(func() {
		if dev.ProcessState == nil {
			dev.Process.Kill()
			<-exited
		}
	})
	return dev, logs, exited
}

// connect opens an MCP client session to endpoint with the given headers.
func connect(t *testing.T, endpoint string, header http.Header) (*mcp.ClientSession, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	transport := &mcp.StreamableClientTransport{
		Endpoint:             endpoint,
		HTTPClient:           &http.Client{Transport: mcpwire.WithHeader(nil, header)},
		MaxRetries:           1,
		DisableStandaloneSSE: true,
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "mcpctl-e2e", Version: "0"}, nil).Connect(ctx, transport, nil)
	if err == nil {
		t.Cleanup(func() { cs.Close() })
	}
	return cs, err
}

// toolNames lists the server's tools through cs, as a set.
func toolNames(t *testing.T, cs *mcp.ClientSession) map[string]bool {
	t.Helper()
	tools, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	names := map[string]bool{}
	for _, tool := range tools.Tools {
		names[tool.Name] = true
	}
	return names
}

// syncBuffer is a bytes.Buffer safe for a process's output and the test reading it.
type syncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced on each write
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.changed != nil {
		close(b.changed)
		b.changed = nil
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor waits until s is written at or after offset *from, then moves *from past it;
// it fails the test when exited (if not nil) is closed first or after timeout.
func (b *syncBuffer) waitFor(t *testing.T, from *int, s string, timeout time.Duration) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		b.mu.Lock()
		text := b.buf.String()
		if b.changed == nil {
			b.changed = make(chan struct{})
		}
		ch := b.changed
		b.mu.Unlock()
		if i := strings.Index(text[*from:], s); i >= 0 {
			*from += i + len(s)
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("no %q within %s in:\n%s", s, timeout, text)
		}
	}
}

// netListen binds a loopback port, to prove it is free.
func netListen(port int) (net.Listener, error) {
	return net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
}
