package cmd

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/mcpctl/mcpctl/connect"
	"github.com/mcpctl/mcpctl/internal/envfile"
	"github.com/mcpctl/mcpctl/keys"
	"github.com/mcpctl/mcpctl/serverenv"
)

func newKeysRotateCmd(opts *keysOptions, run func(*keysOptions) func(*cobra.Command, []string) error) *cobra.Command {
	c := &cobra.Command{
		Use:   "rotate",
		Short: "Replace a key; old and new both work until `keys revoke --previous`",
		Long: `Replace a key without downtime: the new key is saved in .env, the deployed app is told to
accept both old and new (one config change), then .env switches to the new key and keeps
the old one as <VAR>_PREVIOUS. Clients switch at their own pace; then run
` + "`mcpctl keys revoke --previous`" + `. With --now the old key stops working at once.

If anything fails half-way, the key in .env (MCP_API_KEY, or the named key's variable)
still works; run ` + "`mcpctl keys rotate`" + ` again to finish. A rerun remembers --now: the old
key is revoked even if you leave the flag out.

Keys the app accepts that this .env has no key for (a teammate's, CI's, another clone's)
are kept, and shown by ` + "`keys list`" + ` as unknown; --drop-unknown removes them.`,
		Example: `  mcpctl keys rotate
  mcpctl keys rotate --name ci
  mcpctl keys rotate --now`,
		Args: noArgs, RunE: run(opts),
	}
	c.Flags().StringVar(&opts.Name, "name", "", "rotate a named key instead of the default one")
	c.Flags().BoolVar(&opts.Now, "now", false, "revoke the old key in the same step (for a leaked key)")
	addDropUnknownFlag(c, opts)
	return c
}

// runKeysRotate replaces a key without downtime, and moves the clients that hold it.
func runKeysRotate(ctx context.Context, opts *keysOptions, kp *keysProject) error {
	store, project, out, errOut := kp.store, kp.project, opts.IO.Out, opts.IO.ErrOut
	res, err := store.Rotate(ctx, opts.Name, opts.Now)
	if res != nil {
		warnUnknown(errOut, res.Unknown, project)
	}
	if err != nil {
		return err
	}
	if res.Resumed && res.Revoked && !opts.Now {
		fmt.Fprintln(errOut, "Finished an interrupted `keys rotate --now` (the old key is revoked, as asked then).")
	} else if res.Resumed {
		fmt.Fprintln(errOut, "Finished an interrupted rotation.")
	}
	if store.Platform == nil {
		fmt.Fprintln(errOut, "The project has no deployed app, so keys are local only; `mcpctl deploy heroku` (or cloudrun) pushes their hashes.")
	}
	fmt.Fprintf(out, "Rotated key %q: %s → %s (%s in .env)\n", res.Name, res.Old.Fingerprint, res.New.Fingerprint, res.New.Var)
	if res.Revoked {
		fmt.Fprintf(out, "The old key %s no longer works%s.\n", res.Old.Fingerprint, deployedNote(res.Deployed, project))
	} else {
		fmt.Fprintf(out, "The old key %s keeps working%s until `mcpctl keys revoke --previous%s`.\n", res.Old.Fingerprint, deployedNote(res.Deployed, project), nameSuffix(res.Name))
	}
	fmt.Fprintf(out, "\nClients read the key from $%s: set the new value where they run, and restart them:\n  %s\n", res.New.Var, serverenv.ExportCommand(res.New.Var, filepath.Join(kp.dir, envfile.Name)))
	fmt.Fprintf(out, "The configs `mcpctl connect` wrote refer to the variable, so they need no edit.\n")
	if res.Name == keys.DefaultName {
		reportClients(ctx, opts, kp, res)
	}
	return nil
}

// reportClients names the clients configured for this project, which must restart to use
// the new key; connect moves the entries that hold the key itself.
func reportClients(ctx context.Context, opts *keysOptions, kp *keysProject, res *keys.RotateResult) {
	env, err := connect.NewEnv(opts.GOOS, opts.Getenv)
	if err != nil {
		return
	}
	srv := kp.project.Server
	urls := []string{serverenv.LocalURL(srv.Port, srv.Path)}
	if kp.app != nil {
		if base, err := kp.app.WebURL(ctx); err == nil {
			urls = append(urls, serverenv.EndpointURL(base, srv.Path))
		}
	}
	restarts := connect.UpdateKey(connect.KeyChange{ProjectDir: kp.dir, Env: env, URLs: urls, NewKey: res.NewPlaintext})
	out := opts.IO.Out
	for i, r := range restarts {
		if i == 0 {
			fmt.Fprintln(out, "\nConfigured clients to restart:")
		}
		fmt.Fprintf(out, "  %-15s %-8s %s\n", r.Client, r.Scope, r.Path)
		for _, w := range r.Warnings {
			fmt.Fprintf(opts.IO.ErrOut, "Warning: %s\n", w)
		}
		for _, name := range r.Moved {
			fmt.Fprintf(out, "  (its entry %q holds the key itself; it now has the new one)\n", name)
		}
	}
}
