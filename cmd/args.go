package cmd

import (
	"github.com/spf13/cobra"
)

// Argument checks that fail as usage errors (exit 2) with a message that says what to type.

func noArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return FlagErrorf("%s takes no arguments", c.CommandPath())
	}
	return nil
}

func maxArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if err := cobra.MaximumNArgs(n)(c, args); err != nil {
			return &FlagError{err: err}
		}
		return nil
	}
}

// oneURL is for the commands that talk to an MCP endpoint.
func oneURL(c *cobra.Command, args []string) error {
	if len(args) != 1 {
		return FlagErrorf("%s needs exactly one URL, e.g. `%s https://HOST/mcp`", c.Name(), c.CommandPath())
	}
	return nil
}
