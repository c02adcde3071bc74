package cmd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mcpctl/mcpctl/internal/iostreams"
	"github.com/mcpctl/mcpctl/templates"
	"github.com/mcpctl/mcpctl/toolgen"
)

type addToolOptions struct {
	IO    *iostreams.IOStreams
	Getwd func() (string, error)

	Name   string
	Kind   string
	DryRun bool
}

func newAddCmd(f *Factory) *cobra.Command {
	c := &cobra.Command{
		Use:     "add <what>",
		Short:   "Add code to the project (add tool NAME)",
		Example: "  mcpctl add tool get_forecast --kind http",
		Args:    noArgs,
	}
	c.AddCommand(newAddToolCmd(f, nil))
	return c
}

func newAddToolCmd(f *Factory, runF func(context.Context, *addToolOptions) error) *cobra.Command {
	opts := &addToolOptions{IO: f.IOStreams, Getwd: f.Getwd}
	c := &cobra.Command{
		Use:   "tool NAME",
		Short: "Write a new tool and its test, and register it",
		Long: `Write tools/NAME.go and tools/NAME_test.go from a template and register the tool in
tools/tools.go, as one new line after the last mcp.AddTool (the rest of the file stays as
it is). The generated test passes as written; a running mcpctl dev reloads with the tool.

NAME follows the MCP rules for tool names: 1 to 64 letters, digits, '_', '-' or '.'. It
must not name an existing tool, and no existing file is ever overwritten.

Kinds:
  basic     typed input and structured output (default)
  http      calls an upstream HTTP API with a timeout; failures become tool errors
  progress  reports progress notifications while it works, stops when cancelled`,
		Example: `  mcpctl add tool get_forecast
  mcpctl add tool fetch_page --kind http
  mcpctl add tool long_job --kind progress --dry-run`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return FlagErrorf("add tool needs one NAME, e.g. `mcpctl add tool get_forecast`")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			opts.Name = args[0]
			if !slices.Contains(templates.ToolKinds(), opts.Kind) {
				return FlagErrorf("--kind %q: use %s", opts.Kind, strings.Join(templates.ToolKinds(), ", "))
			}
			if err := toolgen.CheckName(opts.Name); err != nil {
				return &FlagError{err: err}
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runAddTool(opts)
		},
	}
	c.Flags().StringVar(&opts.Kind, "kind", "basic", "template: "+strings.Join(templates.ToolKinds(), ", "))
	c.Flags().BoolVar(&opts.DryRun, "dry-run", false, "print what would be written, write nothing")
	_ = c.RegisterFlagCompletionFunc("kind", cobra.FixedCompletions(templates.ToolKinds(), cobra.ShellCompDirectiveNoFileComp))
	return c
}

func runAddTool(opts *addToolOptions) error {
	dir, err := opts.Getwd()
	if err != nil {
		return err
	}
	plan, err := toolgen.Prepare(dir, opts.Name, opts.Kind)
	if err != nil {
		var te *toolgen.Error
		if errors.As(err, &te) {
			return &hintError{err: err, hint: te.Hint}
		}
		return err
	}
	out := opts.IO.Out
	if opts.DryRun {
		fmt.Fprintf(out, "Dry run: nothing was written. mcpctl add tool %s --kind %s would:\n", plan.Name, plan.Kind)
	} else if err := plan.Apply(dir); err != nil {
		return err
	}
	for _, f := range plan.Files {
		if f.New {
			fmt.Fprintf(out, "  create %s\n", f.Path)
		} else {
			fmt.Fprintf(out, "  edit   %s  + %s\n", f.Path, plan.Register)
		}
	}
	if !opts.DryRun {
		fmt.Fprintf(out, "\nNext: fill in the TODOs, then `go test ./tools/`; a running `mcpctl dev` has reloaded with %s.\n", plan.Name)
	}
	return nil
}
