package runner

import "syscall"

// childProcAttr puts the child in its own process group, so a stop reaches everything it
// started, and asks the kernel to kill it if mcpctl dies without cleaning up.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
