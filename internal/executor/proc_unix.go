//go:build unix && !linux

package executor

import (
	"os/exec"
	"syscall"
)

// group puts c in its own process group, killed as a whole when its context ends. There
// is no Pdeathsig outside Linux.
func group(c *exec.Cmd) {
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
}
