//go:build !unix

package executor

import "os/exec"

// group is a no-op without Unix process groups: cancellation kills the process only.
func group(*exec.Cmd) {}
