// Package cmd is mcpctl's command tree: one file per verb, each turning flags into an
// options struct and calling into the package that does the work.
package cmd

import (
	"os"

	"github.com/mcpctl/mcpctl/internal/executor"
	"github.com/mcpctl/mcpctl/internal/iostreams"
)

// Factory carries what commands depend on, so tests can substitute each part.
type Factory struct {
	IOStreams *iostreams.IOStreams
	Executor  executor.Executor
	Version   string // module version, e.g. sent as a client's version
	Build     BuildInfo
	Getwd     func() (string, error)
	Getenv    func(string) string
	// Executable is the path of the running mcpctl, for configs that start it again.
	Executable func() (string, error)
	// Arg0 is how the user ran mcpctl (os.Args[0]), so printed commands can name it so.
	Arg0 string
}

// NewFactory returns the factory of a real process; stamped is a release's version, or "".
func NewFactory(stamped string) *Factory {
	build := ReadBuildInfo(stamped)
	return &Factory{
		Build:      build,
		IOStreams:  iostreams.System(),
		Executor:   executor.System{},
		Version:    build.Version,
		Getwd:      os.Getwd,
		Getenv:     os.Getenv,
		Executable: os.Executable,
		Arg0:       os.Args[0],
	}
}
