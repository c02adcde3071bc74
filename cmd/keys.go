package cmd

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/mcpctl/mcpctl/atomicfile"
	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/connect"
	"github.com/mcpctl/mcpctl/deployers"
	"github.com/mcpctl/mcpctl/envfile"
	"github.com/mcpctl/mcpctl/executor"
	"github.com/mcpctl/mcpctl/iostreams"
	"github.com/mcpctl/mcpctl/keys"
	"github.com/mcpctl/mcpctl/keystore"
	"github.com/mcpctl/mcpctl/serverenv"
)

type keysOptions struct {
	IO     *iostreams.IOStreams
	Exec   executor.Executor
	Getwd  func() (string, error)
	Getenv func(string) string
	GOOS   string

	Verb     string // new, list, rotate, revoke
	Name     string
	Previous bool
	Now      bool
	Show     bool
	JSON     bool
	// DropUnknown lets the change remove hashes the app accepts that no key in .env has.
	DropUnknown bool
}

func newKeysCmd(f *Factory, runF func(context.Context, *keysOptions) error) *cobra.Command {
	c := &cobra.Command{
		Use:   "keys <command>",
		Short: "Create, list, rotate and revoke API keys",
		Long: `Manage the project's API keys. Plaintext keys live only in .env (mode 0600, git-ignored);
a deployed app holds only their SHA-256 hashes (MCP_API_KEY_HASHES), set through the
platform's CLI. Without a deployed app the keys are local only.

Named keys (--name) let each person or client have its own key and lose it alone.
Rotation keeps the old key valid next to the new one until you revoke it, so clients can
switch without downtime; --now is for a leaked key.`,
		Example: `  mcpctl keys list
  mcpctl keys new --name ci
  mcpctl keys rotate              # new default key; the old one still works
  mcpctl keys revoke --previous   # now the old one stops working
  mcpctl keys rotate --now        # leaked: replace and revoke in one step`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return FlagErrorf("unknown keys command %q: use new, list, rotate or revoke", args[0])
			}
			return FlagErrorf("name a keys command: new, list, rotate or revoke")
		},
		RunE: func(*cobra.Command, []string) error { return nil },
	}
	mk := func(verb string) *keysOptions {
		return &keysOptions{IO: f.IOStreams, Exec: f.Executor, Getwd: f.Getwd, Getenv: f.Getenv, GOOS: runtime.GOOS, Verb: verb}
	}
	run := func(opts *keysOptions) func(*cobra.Command, []string) error {
		return func(c *cobra.Command, args []string) error {
			if opts.Name != "" {
				if err := keystore.CheckName(opts.Name); err != nil {
					return FlagErrorf("--name: %v", err)
				}
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runKeys(c.Context(), opts)
		}
	}

	newOpts := mk("new")
	newCmd := &cobra.Command{
		Use:   "new",
		Short: "Create a key (the default one, or a named one)",
		Example: `  mcpctl keys new --name alice
  mcpctl keys new --name ci --show | gh secret set MCP_API_KEY`,
		Args: noArgs, RunE: run(newOpts),
	}
	newCmd.Flags().StringVar(&newOpts.Name, "name", "", "key name (default: the project's main key, MCP_API_KEY)")
	newCmd.Flags().BoolVar(&newOpts.Show, "show", false, "print the plaintext key on stdout (for piping into a secret store)")

	listOpts := mk("list")
	listCmd := &cobra.Command{
		Use:     "list",
		Short:   "List keys: name, fingerprint, creation, where active",
		Example: "  mcpctl keys list\n  mcpctl keys list --json",
		Args:    noArgs, RunE: run(listOpts),
	}
	listCmd.Flags().BoolVar(&listOpts.JSON, "json", false, "print as JSON")

	rotOpts := mk("rotate")
	rotCmd := &cobra.Command{
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
		Args: noArgs, RunE: run(rotOpts),
	}
	rotCmd.Flags().StringVar(&rotOpts.Name, "name", "", "rotate a named key instead of the default one")
	rotCmd.Flags().BoolVar(&rotOpts.Now, "now", false, "revoke the old key in the same step (for a leaked key)")

	revOpts := mk("revoke")
	revCmd := &cobra.Command{
		Use:   "revoke NAME | --previous",
		Short: "Stop accepting a named key, or the key a rotation replaced",
		Example: `  mcpctl keys revoke alice
  mcpctl keys revoke --previous
  mcpctl keys revoke --previous --name ci`,
		Args: func(c *cobra.Command, args []string) error {
			switch {
			case len(args) > 1:
				return FlagErrorf("revoke takes one key name")
			case len(args) == 1 && revOpts.Previous:
				return FlagErrorf("give a key name or --previous (with --name), not both")
			case len(args) == 0 && !revOpts.Previous:
				return FlagErrorf("name the key to revoke, or give --previous")
			case len(args) == 1:
				revOpts.Name = args[0]
			}
			return nil
		},
		RunE: run(revOpts),
	}
	revCmd.Flags().BoolVar(&revOpts.Previous, "previous", false, "revoke the key the last rotation replaced")
	revCmd.Flags().StringVar(&revOpts.Name, "name", "", "with --previous: the named key whose previous key to revoke")

	for _, sub := range []struct {
		c    *cobra.Command
		opts *keysOptions
	}{{newCmd, newOpts}, {rotCmd, rotOpts}, {revCmd, revOpts}} {
		sub.c.Flags().BoolVar(&sub.opts.DropUnknown, "drop-unknown", false, "also remove keys the app accepts that no key in .env matches (by default they are kept)")
	}
	c.AddCommand(newCmd, listCmd, rotCmd, revCmd)
	return c
}

func runKeys(ctx context.Context, opts *keysOptions) error {
	dir, err := opts.Getwd()
	if err != nil {
		return err
	}
	project, err := config.Load(dir)
	if err != nil {
		return err
	}
	// A .env others can read leaks every key in it: say so, and fix it. CheckMode
	// refuses what is not a regular file, so nothing else is ever chmodded.
	envPath := filepath.Join(dir, envfile.Name)
	var modeErr *envfile.ModeError
	if err := envfile.CheckMode(envPath); err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.As(err, &modeErr) {
		return err
	} else if errors.As(err, &modeErr) {
		if err := os.Chmod(envPath, envfile.Mode); err != nil {
			return fmt.Errorf("%w, and making it 0600 failed: %w", modeErr, err)
		}
		fmt.Fprintf(opts.IO.ErrOut, "Warning: %v; it is 0600 now. Rotate the keys if others could have read them: mcpctl keys rotate --now\n", modeErr)
	}
	store := &keystore.Store{Dir: dir, DropUnknown: opts.DropUnknown}
	where := ".env (the project has no deployed app, so keys are local only)"
	switch p, err := projectPlatform(opts.IO, opts.Exec, opts.Getenv, dir, project); {
	case err == nil:
		store.Platform = p
		where = ".env and " + platformTitle(p)
	case !errors.Is(err, deployers.ErrNoApp):
		return err
	}
	out, errOut := opts.IO.Out, opts.IO.ErrOut
	if project.Server.Auth != config.AuthAPIKey && opts.Verb != "list" {
		fmt.Fprintf(errOut, "Note: mcpctl.toml has auth = %q; keys take effect only with auth = \"apikey\".\n", project.Server.Auth)
	}

	switch opts.Verb {
	case "new":
		// Without --name, the project's main key (MCP_API_KEY), as --help says.
		res, err := store.New(ctx, cmp.Or(opts.Name, keystore.DefaultName))
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
		case store.Platform == nil:
			fmt.Fprintln(errOut, "The project has no deployed app, so keys are local only; `mcpctl deploy heroku` (or cloudrun) pushes their hashes.")
		default:
			fmt.Fprintf(errOut, "%s accepts it now (it holds only the hash).\n", upperFirst(platformTitle(store.Platform)))
		}
	case "list":
		list, err := store.List(ctx)
		if err != nil {
			return err
		}
		if opts.JSON {
			enc := json.NewEncoder(out)
			enc.SetIndent("", "  ")
			return enc.Encode(struct {
				SchemaVersion int            `json:"schema_version"`
				App           string         `json:"app,omitempty"`
				Keys          []keystore.Key `json:"keys"`
			}{1, deployedName(project), orEmpty(list)})
		}
		if len(list) == 0 {
			fmt.Fprintln(out, "No keys in .env. Create one with `mcpctl keys new`.")
			return nil
		}
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tSTATE\tFINGERPRINT\tCREATED\tVARIABLE\tACTIVE")
		unknown := 0
		for _, k := range list {
			created := "unknown"
			if !k.Created.IsZero() {
				created = k.Created.Format(time.DateTime)
			}
			switch k.State {
			case "unknown":
				unknown++
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", "unknown", "unknown", k.Fingerprint, "-", "- (not in this .env)", deployedName(project))
				continue
			case "revoking":
				where := "no longer on " + deployedName(project)
				if k.Deployed == nil {
					where = "local"
				} else if *k.Deployed {
					where = "STILL ACCEPTED by " + deployedName(project) + ": run `mcpctl keys rotate" + nameSuffix(k.Name) + "` to finish"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.Name, k.State, k.Fingerprint, "-", k.Var, where)
				continue
			}
			active := "local"
			if k.Deployed != nil {
				if *k.Deployed {
					active += ", " + deployedName(project)
				} else {
					active += " (not on " + deployedName(project) + ")"
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.Name, k.State, k.Fingerprint, created, k.Var, active)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if unknown > 0 {
			fmt.Fprintf(out, "\nUnknown: the app accepts %d key(s) this .env does not hold (a teammate's, CI's, another clone's).\nmcpctl keeps them; `--drop-unknown` on keys new/rotate/revoke or deploy (--drop-unknown-keys) removes them.\n", unknown)
		}
	case "rotate":
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
		fmt.Fprintf(out, "\nClients read the key from $%s: set the new value where they run, and restart them:\n  %s\n", res.New.Var, serverenv.ExportCommand(res.New.Var, filepath.Join(dir, envfile.Name)))
		fmt.Fprintf(out, "The configs `mcpctl connect` wrote refer to the variable, so they need no edit.\n")
		if res.Name == keystore.DefaultName {
			reportClients(ctx, opts, dir, project, store, res)
		}
	case "revoke":
		var gone *keystore.RevokeResult
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
		fmt.Fprintf(out, "Revoked %s (fingerprint %s): removed from %s.\n", gone.Var, gone.Fingerprint, where)
	}
	return nil
}

// reportClients names the clients configured for this project, which must restart to use
// the new key, and moves mcp-remote entries (the one kind that holds the key itself) to it.
func reportClients(ctx context.Context, opts *keysOptions, dir string, project *config.File, store *keystore.Store, res *keystore.RotateResult) {
	env, err := connect.NewEnv(opts.GOOS, opts.Getenv)
	if err != nil {
		return
	}
	urls := []string{serverenv.LocalURL(project.Server.Port, project.Server.Path)}
	if store.Platform != nil {
		if base, err := store.Platform.WebURL(ctx); err == nil {
			urls = append(urls, serverenv.EndpointURL(base, project.Server.Path))
		}
	}
	out := opts.IO.Out
	header := false
	for _, st := range connect.List(connect.ListRequest{ProjectDir: dir, Env: env, URLs: urls}) {
		if !st.Configured {
			continue
		}
		if !header {
			fmt.Fprintln(out, "\nConfigured clients to restart:")
			header = true
		}
		fmt.Fprintf(out, "  %-15s %-8s %s\n", st.Client, st.Scope, st.Path)
		if st.Client != connect.ClaudeDesktop {
			continue
		}
		for _, name := range st.Entries {
			req := connect.Request{Client: st.Client, Scope: st.Scope, Name: name, ProjectDir: dir, Env: env}
			entry, _, err := connect.Lookup(req)
			if err != nil || entry["command"] != "npx" {
				continue // the bridge reads .env when it starts: nothing to change
			}
			args, _ := entry["args"].([]any)
			if len(args) < 3 {
				continue
			}
			req.URL, _ = args[2].(string)
			req.Via, req.APIKey = connect.ViaMCPRemote, res.NewPlaintext
			if ares, err := connect.Apply(req); err != nil {
				fmt.Fprintf(opts.IO.ErrOut, "Warning: could not move the Claude Desktop entry %q to the new key: %v\n", name, err)
			} else {
				if err := scrubBackup(ares.Backup, res.NewPlaintext); err != nil {
					fmt.Fprintf(opts.IO.ErrOut, "Warning: %s still holds the previous key: %v; delete it\n", ares.Backup, err)
				}
				fmt.Fprintf(out, "  (its entry %q holds the key itself; it now has the new one)\n", name)
			}
		}
	}
}

// warnUnknown says what a change did to keys the app accepts that .env does not hold.
func warnUnknown(w io.Writer, u keystore.Unknown, project *config.File) {
	if len(u.Fingerprints) == 0 {
		return
	}
	if u.Dropped {
		fmt.Fprintf(w, "Warning: removed %d key(s) from %s that this .env does not hold (fingerprints %s): whoever uses them is locked out.\n",
			len(u.Fingerprints), deployedName(project), strings.Join(u.Fingerprints, ", "))
		return
	}
	fmt.Fprintf(w, "Kept %d key(s) %s accepts that this .env does not hold (fingerprints %s); --drop-unknown removes them.\n",
		len(u.Fingerprints), deployedName(project), strings.Join(u.Fingerprints, ", "))
}

// scrubBackup rewrites the backup connect made of a config that held a key in plaintext,
// so the key a rotation replaced (perhaps leaked) does not live on in FILE.bak: every key
// in it becomes the new one, which keeps the backup a working restore point.
func scrubBackup(path, newKey string) error {
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out := data
	for _, k := range keys.Find(data) {
		if k != newKey {
			out = bytes.ReplaceAll(out, []byte(k), []byte(newKey))
		}
	}
	if bytes.Equal(out, data) {
		return nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, out, st.Mode().Perm())
}

func orEmpty(list []keystore.Key) []keystore.Key {
	if list == nil {
		return []keystore.Key{}
	}
	return list
}

func deployedNote(deployed bool, project *config.File) string {
	if deployed {
		return " on " + deployedName(project)
	}
	return " locally"
}

func nameSuffix(name string) string {
	if name == keystore.DefaultName {
		return ""
	}
	return " --name " + name
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
