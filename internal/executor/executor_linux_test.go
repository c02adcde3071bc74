package executor

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

const helperEnv = "EXECUTOR_TEST_PARENT"

// The helper process: a parent that runs a grouped command which never ends and prints
// its pid, then waits to be killed.
func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		pr, pw, _ := os.Pipe()
		go func() {
			sc := bufio.NewScanner(pr)
			for sc.Scan() {
				fmt.Println("PID", sc.Text())
			}
		}()
		_, _ = System{}.Run(context.Background(), Cmd{Name: "sh", Args: []string{"-c", "echo $$; exec sleep 600"}, Stdout: pw, Group: true})
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// A grouped command (a build) dies when mcpctl is SIGKILLed: no orphan keeps running.
func TestGroupedCommandDiesWithParent(t *testing.T) {
	parent := exec.Command(os.Args[0], "-test.run=^$")
	parent.Env = append(os.Environ(), helperEnv+"=1")
	out, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	pid := 0
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "PID "); ok {
			pid, _ = strconv.Atoi(v)
			break
		}
	}
	if pid == 0 {
		t.Fatal("the helper printed no pid")
	}
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pidfd)
	parent.Process.Kill()
	parent.Wait()
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, 60_000)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n != 1 {
			t.Fatalf("command %d still running 60s after its parent was killed", pid)
		}
		return
	}
}

// A grouped command's whole group goes when its context is cancelled, and a timeout
// names the command.
func TestTimeoutNamesTheCommand(t *testing.T) {
	_, err := System{}.Run(context.Background(), Cmd{Name: "sh", Args: []string{"-c", "sleep 600 & wait"}, Group: true, Timeout: 50e6})
	var te *TimeoutError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "sh -c") {
		t.Fatalf("got %v", err)
	}
}
