package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/deployers"
	"github.com/mcpctl/mcpctl/internal/envfile"
	"github.com/mcpctl/mcpctl/internal/executor"
	"github.com/mcpctl/mcpctl/internal/iostreams"
	"github.com/mcpctl/mcpctl/keys"
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
				if err := keys.CheckName(opts.Name); err != nil {
					return FlagErrorf("--name: %v", err)
				}
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runKeys(c.Context(), opts)
		}
	}

	newCmd, listCmd, rotCmd, revCmd := newKeysNewCmd(mk("new"), run), newKeysListCmd(mk("list"), run), newKeysRotateCmd(mk("rotate"), run), newKeysRevokeCmd(mk("revoke"), run)
	c.AddCommand(newCmd, listCmd, rotCmd, revCmd)
	return c
}

// addDropUnknownFlag adds --drop-unknown to a verb that changes the app's keys.
func addDropUnknownFlag(c *cobra.Command, opts *keysOptions) {
	c.Flags().BoolVar(&opts.DropUnknown, "drop-unknown", false, "also remove keys the app accepts that no key in .env matches (by default they are kept)")
}

// keysProject is what every keys verb works on: the project, its key store (with the
// deployed app, when there is one) and where its keys live.
type keysProject struct {
	dir     string
	project *config.File
	store   *keys.Store
	app     deployers.Platform // nil when the project is not deployed
	where   string
}

func runKeys(ctx context.Context, opts *keysOptions) error {
	kp, err := openKeys(opts)
	if err != nil {
		return err
	}
	switch opts.Verb {
	case "new":
		return runKeysNew(ctx, opts, kp)
	case "list":
		return runKeysList(ctx, opts, kp)
	case "rotate":
		return runKeysRotate(ctx, opts, kp)
	case "revoke":
		return runKeysRevoke(ctx, opts, kp)
	}
	return fmt.Errorf("unknown keys command %q", opts.Verb)
}

// openKeys loads the project and its key store, fixing a .env others can read.
func openKeys(opts *keysOptions) (*keysProject, error) {
	dir, err := opts.Getwd()
	if err != nil {
		return nil, err
	}
	project, err := config.Load(dir)
	if err != nil {
		return nil, err
	}
	// A .env others can read leaks every key in it: say so, and fix it. CheckMode
	// refuses what is not a regular file, so nothing else is ever chmodded.
	envPath := filepath.Join(dir, envfile.Name)
	var modeErr *envfile.ModeError
	if err := envfile.CheckMode(envPath); err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.As(err, &modeErr) {
		return nil, err
	} else if errors.As(err, &modeErr) {
		if err := os.Chmod(envPath, envfile.Mode); err != nil {
			return nil, fmt.Errorf("%w, and making it 0600 failed: %w", modeErr, err)
		}
		fmt.Fprintf(opts.IO.ErrOut, "Warning: %v; it is 0600 now. Rotate the keys if others could have read them: mcpctl keys rotate --now\n", modeErr)
	}
	store := &keys.Store{Dir: dir, DropUnknown: opts.DropUnknown}
	where := ".env (the project has no deployed app, so keys are local only)"
	var app deployers.Platform
	switch p, err := projectPlatform(opts.IO, opts.Exec, opts.Getenv, dir, project); {
	case err == nil:
		app, store.Platform = p, p
		where = ".env and " + platformTitle(p)
	case !errors.Is(err, deployers.ErrNoApp):
		return nil, err
	}
	if project.Server.Auth != config.AuthAPIKey && opts.Verb != "list" {
		fmt.Fprintf(opts.IO.ErrOut, "Note: mcpctl.toml has auth = %q; keys take effect only with auth = \"apikey\".\n", project.Server.Auth)
	}
	return &keysProject{dir: dir, project: project, store: store, app: app, where: where}, nil
}

// warnUnknown says what a change did to keys the app accepts that .env does not hold.
func warnUnknown(w io.Writer, u keys.Unknown, project *config.File) {
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

func deployedNote(deployed bool, project *config.File) string {
	if deployed {
		return " on " + deployedName(project)
	}
	return " locally"
}

func nameSuffix(name string) string {
	if name == keys.DefaultName {
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
