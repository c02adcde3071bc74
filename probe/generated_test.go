package probe

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcpctl/mcpctl/keys"
	"github.com/mcpctl/mcpctl/scaffold"
)

// TestGeneratedServer checks a server exactly as `mcpctl init` generates it: rendered
// from the templates, built with the go command, started as its own process.
func TestGeneratedServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a generated project")
	}
	dir := filepath.Join(t.TempDir(), "checkme")
	p := scaffold.Project{Dir: dir, Name: "checkme", Module: "example.com/checkme", Path: "/mcp", Port: 8000, Auth: "apikey", Stateless: true}
	plan, key, err := p.Plan()
	if err != nil {
		t.Fatal(err)
	}
	if err := scaffold.Apply(dir, plan); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", "bin/", "./...")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the generated project: %v\n%s", err, out)
	}
	bin := filepath.Join(dir, "bin", "checkme")

	t.Run("stateless", func(t *testing.T) {
		base := startGenerated(t, bin, "MCP_API_KEY="+key)
		o := testOptions(base+"/mcp", newFakeClock())
		o.Key = key
		o.Call = &ToolCall{Name: "say_hello", Args: json.RawMessage(`{"name":"Grace"}`)}
		r := run(t, o)
		if !r.OK {
			t.Fatalf("not OK: %s", r.Summary)
		}
		if r.Server.Name != "checkme" || !r.Server.Stateless || r.Auth.Mode != "apikey" {
			t.Errorf("server %+v, auth %+v", r.Server, r.Auth)
		}
		if strings.Join(r.Tools, ",") != "get_weather,say_hello" && strings.Join(r.Tools, ",") != "say_hello,get_weather" {
			t.Errorf("tools %v", r.Tools)
		}
		if r.ToolCall.Text != "Hello, Grace!" {
			t.Errorf("tool call %+v", r.ToolCall)
		}

		o.Call = nil
		o.Key = "mcpk_" + strings.Repeat("A", 43)
		wantFailure(t, run(t, o), ClassAuth, ExitAuth)

		o.Key = ""
		wantFailure(t, run(t, o), ClassAuth, ExitAuth)

		o.Key, o.URL = key, base
		r = run(t, o)
		wantFailure(t, r, ClassWrongURL, ExitWrongURL)
		wantStep(t, r, StepToolsList, StatusPass)
	})

	t.Run("stateful", func(t *testing.T) {
		base := startGenerated(t, bin, "MCP_API_KEY="+key, "MCP_STATELESS=false")
		o := testOptions(base+"/mcp", newFakeClock())
		o.Key = key
		r := run(t, o)
		if !r.OK {
			t.Fatalf("not OK: %s", r.Summary)
		}
		if r.Server.Stateless || r.Server.SessionID == "" {
			t.Errorf("server %+v, want a session", r.Server)
		}
	})

	t.Run("hash only", func(t *testing.T) {
		// What the platform holds after `mcpctl deploy`: the key's hash, never the key.
		base := startGenerated(t, bin, "MCP_API_KEY_HASHES="+keys.Hash(key))
		o := testOptions(base+"/mcp", newFakeClock())
		o.Key = key
		if r := run(t, o); !r.OK {
			t.Fatalf("not OK: %s", r.Summary)
		}
	})
}

var listeningRE = regexp.MustCompile(`msg=listening addr=(\S+)`)

// startGenerated starts a generated server on a kernel-chosen loopback port and returns
// its base URL once its log says it is listening. It is stopped with SIGTERM at cleanup.
func startGenerated(t *testing.T, bin string, env ...string) string {
	t.Helper()
	c := exec.Command(bin)
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
		io.Copy(io.Discard, stderr)
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
