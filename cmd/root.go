package cmd

import (
	"strings"

	"github.com/spf13/cobra"
)

// NewRootCmd builds the whole command tree.
func NewRootCmd(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "mcpctl <command>",
		Short: "Build, run and deploy remote MCP servers",
		Long: `mcpctl scaffolds, runs and deploys remote MCP servers: Model Context Protocol servers on
the Streamable HTTP transport, authenticated, on a public URL.`,
		Example: `  mcpctl init weather          # new project in ./weather
  cd weather && mcpctl dev     # run it locally with hot reload`,
		Version:       f.versionLine(),
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetVersionTemplate("mcpctl {{.Version}}\n")
	root.SetUsageTemplate(usageTemplate(root))
	// --version without cobra's -v shorthand: -v means --verbose where it exists (bridge).
	root.Flags().Bool("version", false, "print mcpctl's version")
	root.SetOut(f.IOStreams.Out)
	root.SetErr(f.IOStreams.ErrOut)
	root.SetIn(f.IOStreams.In)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &FlagError{err: err}
	})
	root.CompletionOptions.HiddenDefaultCmd = false

	root.AddCommand(newInitCmd(f, nil))
	root.AddCommand(newDevCmd(f, nil))
	root.AddCommand(newCheckCmd(f, nil))
	root.AddCommand(newBenchCmd(f, nil))
	root.AddCommand(newDoctorCmd(f, nil))
	root.AddCommand(newDeployCmd(f))
	root.AddCommand(newScaleCmd(f, nil))
	root.AddCommand(newKeysCmd(f, nil))
	root.AddCommand(newConnectCmd(f, nil))
	root.AddCommand(newBridgeCmd(f, nil))
	root.AddCommand(newDiffCmd(f, nil))
	root.AddCommand(newAddCmd(f))
	root.AddCommand(newCompletionCmd(f))
	root.AddCommand(newVersionCmd(f))
	return root
}

// IsUnknownCommand reports cobra's error for a verb that does not exist, which is a usage error.
func IsUnknownCommand(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "unknown command")
}
