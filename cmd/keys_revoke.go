package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mcpctl/mcpctl/keys"
)

func newKeysRevokeCmd(opts *keysOptions, run func(*keysOptions) func(*cobra.Command, []string) error) *cobra.Command {
	c := &cobra.Command{
		Use:   "revoke NAME | --previous",
		Short: "Stop accepting a named key, or the key a rotation replaced",
		Example: `  mcpctl keys revoke alice
  mcpctl keys revoke --previous
  mcpctl keys revoke --previous --name ci`,
		Args: func(c *cobra.Command, args []string) error {
			switch {
			case len(args) > 1:
				return FlagErrorf("revoke takes one key name")
			case len(args) == 1 && opts.Previous:
				return FlagErrorf("give a key name or --previous (with --name), not both")
			case len(args) == 0 && !opts.Previous:
				return FlagErrorf("name the key to revoke, or give --previous")
			case len(args) == 1:
				opts.Name = args[0]
			}
			return nil
		},
		RunE: run(opts),
	}
	c.Flags().BoolVar(&opts.Previous, "previous", false, "revoke the key the last rotation replaced")
	c.Flags().StringVar(&opts.Name, "name", "", "with --previous: the named key whose previous key to revoke")
	addDropUnknownFlag(c, opts)
	return c
}

// runKeysRevoke stops accepting a key.
func runKeysRevoke(ctx context.Context, opts *keysOptions, kp *keysProject) error {
	store, project, out, errOut := kp.store, kp.project, opts.IO.Out, opts.IO.ErrOut
	var gone *keys.RevokeResult
	var err error
	if opts.Previous {
		gone, err = store.RevokePrevious(ctx, opts.Name)
	} else {
		gone, err = store.Revoke(ctx, opts.Name)
	}
	if gone != nil {
		warnUnknown(errOut, gone.Unknown, project)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Revoked %s (fingerprint %s): removed from %s.\n", gone.Var, gone.Fingerprint, kp.where)
	return nil
}
