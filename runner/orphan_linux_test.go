package runner

import (
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// Killing mcpctl outright (SIGKILL: no cleanup runs) still takes its server with it, by
// Pdeathsig. A pidfd turns "the process ended" into something to wait on.
func TestChildDiesWithKilledRunner(t *testing.T) {
	skipShort(t)
	t.Parallel()
	dir := writeFixture(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	helper, lines := startHelper(t, dir, port, false)
	pid, tmp := 0, ""
	for line := range lines {
		if f := strings.Fields(line); f[0] == "STARTED" {
			pid, _ = strconv.Atoi(f[1])
		} else if f[0] == "TMP" {
			tmp = f[1]
		} else if f[0] == "READY" {
			break
		}
	}
	if pid == 0 {
		t.Fatal("dev helper ended before its server was ready")
	}
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pidfd)
	if err := helper.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	helper.Wait()
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, 60_000)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n != 1 {
			t.Fatalf("server %d still running 60s after mcpctl was killed (poll: %d, %v)", pid, n, err)
		}
		break
	}

	// The killed runner could not remove its build directory; the next one does.
	if _, err := os.Stat(tmp); err != nil {
		t.Fatalf("build directory of the killed runner: %v", err)
	}
	removeStaleBuildDirs()
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale build directory %s not removed (%v)", tmp, err)
	}
}
