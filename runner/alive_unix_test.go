//go:build unix

package runner

import "syscall"

// processAlive reports whether pid exists. Children are reaped by their Wait goroutine,
// so an exited child does not linger as a zombie.
func processAlive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}
