//go:build unix && !linux

package runner

import "syscall"

// childProcAttr puts the child in its own process group, so a stop reaches everything it
// started. There is no Pdeathsig outside Linux; a clean shutdown still stops every child.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
