// Package e2e runs the mcpctl binary the way a user does: it builds mcpctl, generates
// projects with it, builds and starts them as processes, and talks to them with a real
// MCP client over HTTP on 127.0.0.1.
package e2e

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// mcpctlBin is the binary built once for every test in this package.
var mcpctlBin string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		// Every test here builds and runs the real binary: the full suite's tier.
		fmt.Println("e2e: skipped under -short (builds and runs the mcpctl binary)")
		return 0
	}
	dir, err := os.MkdirTemp("", "mcpctl-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	mcpctlBin = filepath.Join(dir, "mcpctl")
	build := exec.Command("go", "build", "-o", mcpctlBin, "..")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building mcpctl:", err)
		return 1
	}
	return m.Run()
}
