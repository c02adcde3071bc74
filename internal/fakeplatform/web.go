//go:build unix

package fakeplatform

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// GoBuild runs `go build args...` in dir, as a Go buildpack does, with its output to out.
func GoBuild(dir string, out io.Writer, args ...string) error {
	c := exec.Command("go", append([]string{"build"}, args...)...)
	c.Dir = dir
	c.Env = cleanEnv()
	c.Stdout, c.Stderr = out, out
	return c.Run()
}

// Web is an app's web process: Argv run in Dir with PORT and Env (KEY=value) added to
// the fake's environment, its output appended to Log.
type Web struct {
	Argv []string
	Dir  string
	Port int
	Env  []string
	Log  string
}

// Start starts the web process in its own process group, which Stop ends. A failure to
// start is written to the log too, where the platform's logs would show it.
func (w Web) Start() (*exec.Cmd, error) {
	logf, err := os.OpenFile(w.Log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	c := exec.Command(w.Argv[0], w.Argv[1:]...)
	c.Dir = w.Dir
	c.Env = append(append(cleanEnv(), "PORT="+strconv.Itoa(w.Port)), w.Env...)
	c.Stdout, c.Stderr = logf, logf
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		fmt.Fprintf(logf, "starting %v: %v\n", w.Argv, err)
		return nil, err
	}
	return c, nil
}

// AwaitListen waits (bounded by within) until c, started by Start, listens on its
// port, as a platform's startup probe does; it kills c when it does not.
func AwaitListen(c *exec.Cmd, port int, within time.Duration) error {
	exited := make(chan error, 1)
	go func() { exited <- c.Wait() }()
	deadline := time.Now().Add(within)
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("exited (%v) before it listened on PORT=%d", err, port)
		default:
		}
		if conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
			conn.Close()
			return nil
		}
		if time.Now().After(deadline) {
			_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
			return fmt.Errorf("did not listen on PORT=%d within %ds", port, int(within.Seconds()))
		}
		time.Sleep(20 * time.Millisecond) // a startup probe polls, as the platforms' do
	}
}

// Stop ends a web process' group and waits (bounded) until the process is gone, so the
// port is free for the next release.
func Stop(pid int) {
	if pid <= 0 {
		return
	}
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	deadline := time.Now().Add(30 * time.Second)
	for syscall.Kill(pid, 0) == nil && time.Now().Before(deadline) {
		// The process is not our child (an earlier call of the fake started it), so it
		// cannot be waited for; poll instead.
		time.Sleep(10 * time.Millisecond)
		if isZombie(pid) {
			break
		}
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}

func isZombie(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	f := strings.Fields(string(data))
	return len(f) > 2 && f[2] == "Z"
}

// cleanEnv drops what would leak from the calling process (mcpctl, or git running the
// push hook) into the platform: GIT_ variables confuse a nested go build, and MCP_ and
// PORT would stand in for the app's own settings.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GIT_") && !strings.HasPrefix(kv, "MCP_") && !strings.HasPrefix(kv, "PORT=") {
			env = append(env, kv)
		}
	}
	return env
}
