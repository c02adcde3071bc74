package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestDevReloadsWithoutDroppingTheSession runs `mcpctl dev --no-tui` on a stateful
// generated project, edits the greeting three times, and checks that one client session
// sees each change; then SIGTERM must leave no process behind.
func TestDevReloadsWithoutDroppingTheSession(t *testing.T) {
	dir := initProject(t, "dev-demo")
	toml := filepath.Join(dir, "mcpctl.toml")
	data, _ := os.ReadFile(toml)
	os.WriteFile(toml, []byte(strings.Replace(string(data), "stateless = true", "stateless = false", 1)), 0o644)
	key := dotenv(t, dir)["MCP_API_KEY"]

	port := freePort(t)
	dev, logs, done := runDev(t, dir, port)
	endpoint := fmt.Sprintf("http://127.0.0.1:%d/mcp", port)
	from := 0
	logs.waitFor(t, &from, "ready: generation", 3*time.Minute)
	cs, err := connect(t, endpoint, http.Header{"X-Api-Key": {key}})
	if err != nil {
		t.Fatalf("connecting to the dev server: %v\n%s", err, logs.String())
	}
	sid := cs.ID()
	if sid == "" {
		t.Fatal("no session id from a stateful server")
	}
	greet := func() string {
		t.Helper()
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "say_hello", Arguments: map[string]any{"name": "Ada"}})
		if err != nil {
			t.Fatalf("say_hello: %v\n%s", err, logs.String())
		}
		return res.Content[0].(*mcp.TextContent).Text
	}
	if got := greet(); got != "Hello, Ada!" {
		t.Fatalf("greeting %q", got)
	}

	hello := filepath.Join(dir, "tools", "hello.go")
	prev := "Hello, "
	for i := 1; i <= 3; i++ {
		src, _ := os.ReadFile(hello)
		next := fmt.Sprintf("Hi #%d, ", i)
		os.WriteFile(hello, []byte(strings.Replace(string(src), `"`+prev+`"`, `"`+next+`"`, 1)), 0o644)
		prev = next
		logs.waitFor(t, &from, fmt.Sprintf("reloaded (%d)", i), 3*time.Minute)
		if got, want := greet(), next+"Ada!"; got != want {
			t.Fatalf("reload %d: got %q, want %q\n%s", i, got, want, logs.String())
		}
		if cs.ID() != sid {
			t.Fatalf("reload %d replaced the session", i)
		}
	}

	// Every process mcpctl dev started is its descendant; after SIGTERM none may remain.
	children := descendants(dev.Process.Pid)
	if len(children) == 0 {
		t.Fatal("found no server process under mcpctl dev")
	}
	cs.Close()
	dev.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("mcpctl dev exited with %v after SIGTERM\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("mcpctl dev did not stop within 30s of SIGTERM")
	}
	for _, pid := range children {
		if alive(pid) {
			t.Errorf("process %d outlived mcpctl dev", pid)
		}
	}
	if ln, err := netListen(port); err != nil {
		t.Errorf("port %d still taken: %v", port, err)
	} else {
		ln.Close()
	}
}

// descendants lists the processes below pid, from /proc.
func descendants(pid int) []int {
	parents := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The fields after the command name (which may hold spaces) start after ")".
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(f) > 1 {
			pp, _ := strconv.Atoi(f[1])
			parents[pp] = append(parents[pp], p)
		}
	}
	var out []int
	var walk func(int)
	walk = func(p int) {
		for _, c := range parents[p] {
			out = append(out, c)
			walk(c)
		}
	}
	walk(pid)
	return out
}

// alive reports whether pid is a running (not zombie) process.
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}
