package cmd

import (
	"cmp"
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mcpctl/mcpctl/keys"
)

func newKeysNewCmd(opts *keysOptions, run func(*keysOptions) func(*cobra.Command, []string) error) *cobra.Command {
	c := &cobra.Command{
		Use:   "new",
		Short: "Create a key (the default one, or a named one)",
		Example: `  mcpctl keys new --name alice
  mcpctl keys new --name ci --show | gh secret set MCP_API_KEY`,
		Args: noArgs, RunE: run(opts),
	}
	c.Flags().StringVar(&opts.Name, "name", "", "key name (default: the project's main key, MCP_API_KEY)")
	c.Flags().BoolVar(&opts.Show, "show", false, "print the plaintext key on stdout (for piping into a secret store)")
	addDropUnknownFlag(c, opts)
	return c
}

// runKeysNew creates a key in .env and, when the project is deployed, its hash on the app.
func runKeysNew(ctx context.Context, opts *keysOptions, kp *keysProject) error {
	store, project, out, errOut := kp.store, kp.project, opts.IO.Out, opts.IO.ErrOut
	// Without --name, the project's main key (MCP_API_KEY), as --help says.
	res, err := store.New(ctx, cmp.Or(opts.Name, keys.DefaultName))
	if res != nil {
		warnUnknown(errOut, res.Unknown, project)
	}
	if err != nil {
		return err
	}
	if res.Resumed {
		fmt.Fprintln(errOut, "Finished an interrupted `keys new`.")
	}
	if opts.Show {
		fmt.Fprintln(out, res.Plaintext)
	} else {
		fmt.Fprintf(out, "Created key %q (%s, fingerprint %s) in .env as %s\n", res.Key.Name, keys.Mask(res.Plaintext), res.Key.Fingerprint, res.Key.Var)
	}
	switch {
	case kp.app == nil:
		fmt.Fprintln(errOut, "The project has no deployed app, so keys are local only; `mcpctl deploy heroku` (or cloudrun) pushes their hashes.")
	default:
		fmt.Fprintf(errOut, "%s accepts it now (it holds only the hash).\n", upperFirst(platformTitle(kp.app)))
	}
	return nil
}
