//go:build unix

package runner

import (
	"errors"
	"syscall"
)

// terminateGroup sends SIGTERM to the child's process group (its pgid is its pid).
func terminateGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGTERM) }

// killGroup sends SIGKILL to the child's process group. ESRCH (already gone) is fine.
func killGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGKILL) }

// processExists reports whether pid is a live process (EPERM: it exists, not ours).
func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
