//go:build unix

package keys

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// lock takes an exclusive flock on the project directory, so that two mcpctl processes
// never change the same keys at once (the second waits, then sees the first's result).
// Locking the directory, not .env, matters: every .env write replaces the file, and a
// lock on a replaced inode guards nothing. The kernel drops the lock when the process
// dies, however it dies.
func lock(ctx context.Context, dir string) (unlock func(), err error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	fd := int(f.Fd())
	for wait := 10 * time.Millisecond; ; wait = min(wait*2, 200*time.Millisecond) {
		err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = syscall.Flock(fd, syscall.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", dir, err)
		}
		// flock has no way to wait with a deadline: try again shortly, until ctx ends.
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("another mcpctl is changing this project's keys: %w", ctx.Err())
		case <-time.After(wait):
		}
	}
}
