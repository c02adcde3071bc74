package runner

import (
	"os"
	"syscall"
)

// Windows has no process groups or signals in the Unix sense: stop kills the process.
// mcpctl dev is developed and tested on Linux and macOS.

func childProcAttr() *syscall.SysProcAttr { return nil }

func terminateGroup(pid int) { killGroup(pid) }

func killGroup(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}

// processExists is conservative on Windows: stale build directories are left alone.
func processExists(int) bool { return true }
