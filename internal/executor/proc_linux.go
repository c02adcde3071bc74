package executor

import (
	"os/exec"
	"syscall"
)

// group puts c in its own process group that dies with us (Pdeathsig) and is killed as a
// whole when its context ends: `go build` runs compilers and linkers as children.
func group(c *exec.Cmd) {
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
}
