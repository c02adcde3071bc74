package runner

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// Some tests and the benchmark run the dev loop in a separate process: this test binary
// re-executed with helperEnv set. The benchmark can then report the dev process's memory
// alone, and a test can kill it outright.
const helperEnv = "MCPCTL_RUNNER_BENCH_HELPER"

func TestMain(m *testing.M) {
	if spec := os.Getenv(helperEnv); spec != "" {
		os.Exit(devHelper(spec))
	}
	os.Exit(m.Run())
}

// devHelper runs a dev loop on "dir port stateful" and prints one line per Ready.
func devHelper(spec string) int {
	f := strings.Fields(spec)
	port, _ := strconv.Atoi(f[1])
	opts := Options{Dir: f[0], Port: port}
	if f[2] == "true" {
		opts.Env = stateful
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	r, err := Start(ctx, opts)
	if err != nil {
		fmt.Println("ERROR", err)
		return 1
	}
	fmt.Println("TMP", r.tmp)
	for ev := range r.Events() {
		switch ev := ev.(type) {
		case ChildStarted:
			fmt.Println("STARTED", ev.PID)
		case BuildSucceeded:
			fmt.Println("BUILT", ev.Duration.Nanoseconds())
		case Ready:
			fmt.Println("READY", ev.Gen, ev.Reloads, ev.Startup.Nanoseconds())
		case BuildFailed:
			fmt.Println("BUILDFAILED", strings.ReplaceAll(ev.Output, "\n", " | "))
		case Error:
			fmt.Println("ERROR", ev.Err)
		}
	}
	if err := r.Wait(); err != nil {
		fmt.Println("ERROR", err)
		return 1
	}
	return 0
}

// startHelper runs a dev loop on dir in a helper process; lines carries what it prints.
func startHelper(t testing.TB, dir string, port int, isStateful bool) (*exec.Cmd, <-chan string) {
	t.Helper()
	helper := exec.Command(os.Args[0], "-test.run=^$")
	helper.Env = append(os.Environ(), fmt.Sprintf("%s=%s %d %v", helperEnv, dir, port, isStateful))
	helper.Stderr = os.Stderr
	stdout, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	t.Cleanup(func() {
		helper.Process.Signal(syscall.SIGTERM)
		helper.Wait()
	})
	return helper, lines
}
