package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/connect"
	"github.com/mcpctl/mcpctl/internal/envfile"
	"github.com/mcpctl/mcpctl/internal/iostreams"
	"github.com/mcpctl/mcpctl/serverenv"
)

type connectOptions struct {
	IO         *iostreams.IOStreams
	Getwd      func() (string, error)
	Getenv     func(string) string
	Executable func() (string, error)
	LookPath   func(string) (string, error)
	GOOS       string
	// DeployedURL returns the deployed app's base URL (the platform's, never built from
	// the app name); nil means none can be looked up, and --target deployed asks for a URL.
	DeployedURL func(ctx context.Context, cfg *config.File) (string, error)

	Client string // a client id, or "all"
	Target string // local, deployed or a URL; empty: deployed once there is an app
	Scope  string
	Name   string
	Auth   string
	Via    string
	KeyEnv string
	Port   int // local target: the port `mcpctl dev --port` serves; 0: mcpctl.toml's
	DryRun bool
	Remove bool
	List   bool
	JSON   bool
}

const connectAll = "all"

func newConnectCmd(f *Factory, runF func(context.Context, *connectOptions) error) *cobra.Command {
	opts := &connectOptions{
		IO: f.IOStreams, Getwd: f.Getwd, Getenv: f.Getenv, Executable: f.Executable, GOOS: runtime.GOOS,
	}
	if f.Executor != nil {
		opts.LookPath = f.Executor.LookPath
		opts.DeployedURL = func(ctx context.Context, cfg *config.File) (string, error) {
			dir, err := opts.Getwd()
			if err != nil {
				return "", err
			}
			p, err := projectPlatform(f.IOStreams, f.Executor, f.Getenv, dir, cfg)
			if err != nil {
				return "", err
			}
			return p.WebURL(ctx)
		}
	}
	c := &cobra.Command{
		Use:   "connect CLIENT|all",
		Short: "Add this server to an MCP client's configuration",
		Long: `Write the connector configuration of an MCP client so that it reaches this project's
server: Cursor, Claude Code, Claude Desktop, VS Code, Windsurf, Codex CLI, Gemini CLI, or
the steps for claude.ai (which has no file).

The client's file is merged, never replaced: its other servers, unknown fields, order and
comments stay as they are. The write is atomic and the previous file is kept as FILE.bak.
Running connect again changes nothing; --dry-run shows the diff instead of writing;
--remove takes out only this entry. A file mcpctl cannot parse is left untouched.

No key is written into any file: entries refer to the MCP_API_KEY variable in each
client's own syntax (VS Code prompts for it once). Claude Desktop cannot name a remote
URL, so its entry starts ` + "`mcpctl bridge`" + `, which reads the key from the project's .env;
--via mcp-remote uses Node's mcp-remote instead (the key then sits in that user-scope entry).

The target is the local dev server (` + "`mcpctl dev`" + `) until the project is deployed, then the
deployed app; --target local|deployed|URL chooses. For a dev server started with
` + "`mcpctl dev --port N`" + `, pass the same --port N.`,
		Example: `  mcpctl connect cursor
  mcpctl connect claude-code --scope user --target deployed
  mcpctl connect vscode --dry-run
  mcpctl connect claude-desktop --via mcp-remote
  mcpctl connect all
  mcpctl connect --list
  mcpctl connect cursor --remove`,
		Args: maxArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return append(connect.ClientNames(), connectAll), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Client = args[0]
			}
			if err := opts.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runConnect(c.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.StringVar(&opts.Target, "target", "", "server to connect: local, deployed or a URL (default: deployed once deployed, else local)")
	fl.StringVar(&opts.Scope, "scope", "", "project (a file in the project) or user (your home); default: project where the client has project files")
	fl.StringVar(&opts.Name, "name", "", "entry name in the client (default: the project name)")
	fl.StringVar(&opts.Auth, "auth", "", "server authentication: apikey, oauth or none (default: from mcpctl.toml)")
	fl.StringVar(&opts.Via, "via", "", "claude-desktop only: bridge (default) or mcp-remote")
	fl.StringVar(&opts.KeyEnv, "key-env", connect.DefaultKeyEnv, "environment variable the client reads the API key from")
	fl.IntVar(&opts.Port, "port", 0, "local target: the port `mcpctl dev --port` serves (default: server.port of mcpctl.toml)")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the change as a diff, write nothing")
	fl.BoolVar(&opts.Remove, "remove", false, "remove this entry from the client")
	fl.BoolVar(&opts.List, "list", false, "show every client, its file, and whether it is configured for this project")
	fl.BoolVar(&opts.JSON, "json", false, "print machine-readable JSON")
	_ = c.RegisterFlagCompletionFunc("scope", cobra.FixedCompletions([]string{"project", "user"}, cobra.ShellCompDirectiveNoFileComp))
	_ = c.RegisterFlagCompletionFunc("via", cobra.FixedCompletions([]string{"bridge", "mcp-remote"}, cobra.ShellCompDirectiveNoFileComp))
	_ = c.RegisterFlagCompletionFunc("auth", cobra.FixedCompletions([]string{"apikey", "oauth", "none"}, cobra.ShellCompDirectiveNoFileComp))
	_ = c.RegisterFlagCompletionFunc("target", cobra.FixedCompletions([]string{"local", "deployed"}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

func (o *connectOptions) validate() error {
	switch {
	case o.List && o.Client != "":
		return FlagErrorf("--list takes no client: `mcpctl connect --list`")
	case o.List:
		return nil
	case o.Client == "":
		return FlagErrorf("name a client: %s, or all (see `mcpctl connect --list`)", strings.Join(connect.ClientNames(), ", "))
	case o.Client != connectAll && !slices.Contains(connect.ClientNames(), o.Client):
		return FlagErrorf("unknown client %q%s: use one of %s, or all", o.Client, didYouMean(o.Client, append(connect.ClientNames(), connectAll)), strings.Join(connect.ClientNames(), ", "))
	}
	if o.Scope != "" && o.Scope != string(connect.ScopeProject) && o.Scope != string(connect.ScopeUser) {
		return FlagErrorf("--scope must be project or user, not %q", o.Scope)
	}
	if o.Via != "" {
		if o.Client != string(connect.ClaudeDesktop) {
			return FlagErrorf("--via applies to claude-desktop only")
		}
		if o.Via != string(connect.ViaBridge) && o.Via != string(connect.ViaMCPRemote) {
			return FlagErrorf("--via must be bridge or mcp-remote, not %q", o.Via)
		}
	}
	if o.Auth != "" && o.Auth != string(connect.AuthAPIKey) && o.Auth != string(connect.AuthOAuth) && o.Auth != string(connect.AuthNone) {
		return FlagErrorf("--auth must be apikey, oauth or none, not %q", o.Auth)
	}
	if o.Name != "" {
		if err := connect.ValidateName(o.Name); err != nil {
			return &FlagError{err: err}
		}
	}
	if o.Port != 0 && (o.Port < 1 || o.Port > 65535) {
		return FlagErrorf("--port %d: use a port between 1 and 65535", o.Port)
	}
	if o.Port != 0 && o.Target != "" && o.Target != "local" {
		return FlagErrorf("--port applies to the local server, not --target %s", o.Target)
	}
	if o.Remove && o.Target != "" {
		return FlagErrorf("--remove takes no --target: the entry is found by its name")
	}
	switch o.Target {
	case "", "local", "deployed":
	default:
		if !strings.HasPrefix(o.Target, "http://") && !strings.HasPrefix(o.Target, "https://") {
			return FlagErrorf("--target must be local, deployed or an http(s) URL, not %q", o.Target)
		}
	}
	return nil
}

func runConnect(ctx context.Context, opts *connectOptions) error {
	cwd, err := opts.Getwd()
	if err != nil {
		return err
	}
	env, err := connect.NewEnv(opts.GOOS, opts.Getenv)
	if err != nil {
		return err
	}
	cfg, err := config.Load(cwd)
	var notFound *config.NotFoundError
	switch {
	case errors.As(err, &notFound):
		cfg = nil
	case err != nil:
		return err
	}
	if opts.List {
		return runConnectList(ctx, opts, cwd, env, cfg)
	}

	base := connect.Request{
		Name: opts.Name, KeyEnv: opts.KeyEnv, Auth: connect.Auth(opts.Auth), Via: connect.Via(opts.Via),
		ProjectDir: cwd, Env: env, EnvFile: filepath.Join(cwd, envfile.Name),
		DryRun: opts.DryRun, Remove: opts.Remove,
	}
	if cfg != nil {
		if base.Name == "" {
			base.Name = cfg.Project.Name
		}
		if base.Auth == "" {
			base.Auth = connect.Auth(cfg.Server.Auth)
		}
	}
	if base.Name == "" {
		return FlagErrorf("outside a project, give the entry a name with --name")
	}
	if !opts.Remove {
		if base.URL, err = opts.target(cfg).URL(ctx); errors.Is(err, connect.ErrNoProject) {
			return FlagErrorf("%v", err)
		} else if err != nil {
			return err
		}
	}

	clients := []connect.Client{connect.Client(opts.Client)}
	if opts.Client == connectAll {
		if clients, err = connect.Installed(env, connect.Scope(opts.Scope)); err != nil {
			return err
		}
	}
	base.Scope = connect.Scope(opts.Scope)
	report, err := connect.ApplyAll(connect.Batch{Base: base, Clients: clients, KeepGoing: opts.Client == connectAll,
		Executable: opts.Executable, LookPath: opts.LookPath, Getenv: opts.Getenv})
	if err != nil {
		return err
	}

	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return err
		}
	} else {
		for _, res := range report.Results {
			printConnectResult(opts.IO.Out, cwd, env.Home, res)
		}
		for _, f := range report.Failures {
			fmt.Fprintf(opts.IO.ErrOut, "%s: %s\n", f.Client, f.Error)
		}
	}
	if len(report.Failures) > 0 {
		return fmt.Errorf("%d of %d clients failed: %w", len(report.Failures), len(clients), ErrSilent)
	}
	return nil
}

// target is the server --target names.
func (o *connectOptions) target(cfg *config.File) connect.Target {
	t := connect.Target{Choice: o.Target, Project: cfg, Port: o.Port, Deploy: deployHint}
	if cfg != nil {
		t.Deployed = deployedName(cfg) != ""
		if o.DeployedURL != nil {
			t.DeployedURL = func(ctx context.Context) (string, error) { return o.DeployedURL(ctx, cfg) }
		}
	}
	return t
}

func printConnectResult(w io.Writer, cwd, home string, res connect.Result) {
	verb := map[connect.Action]string{
		connect.Created: "created", connect.Updated: "updated", connect.Unchanged: "already up to date",
		connect.Removed: "removed from", connect.Absent: "no entry in", connect.Manual: "manual steps",
	}[res.Action]
	if res.DryRun && (res.Action == connect.Created || res.Action == connect.Updated || res.Action == connect.Removed) {
		verb = "would be " + verb
	}
	where := displayPath(res.Scope, cwd, home, res.Path)
	switch {
	case res.Action == connect.Manual:
		fmt.Fprintf(w, "%s: add the connector by hand:\n", res.Client)
		for i, s := range res.Steps {
			fmt.Fprintf(w, "  %d. %s\n", i+1, s)
		}
	case res.Action == connect.Removed || res.Action == connect.Absent:
		fmt.Fprintf(w, "%s (%s): %s %s (entry %q)\n", res.Client, res.Scope, verb, where, res.Name)
	default:
		fmt.Fprintf(w, "%s (%s): %s %s (entry %q → %s)\n", res.Client, res.Scope, verb, where, res.Name, res.URL)
	}
	if res.Backup != "" {
		fmt.Fprintf(w, "  previous file saved as %s\n", displayPath(res.Scope, cwd, home, res.Backup))
	}
	for _, v := range res.Export {
		fmt.Fprintf(w, "  set %s where the client runs, from .env: %s\n", v, serverenv.ExportCommand(v, filepath.Join(cwd, envfile.Name)))
	}
	for _, n := range res.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	if res.DryRun && res.Diff != "" {
		fmt.Fprint(w, res.Diff)
	}
}

// displayPath shows a project file relative to the project, and a user file as ~/… or
// absolute: never relative, which from ~ or / would read like a project file.
func displayPath(scope connect.Scope, cwd, home, p string) string {
	if p == "" {
		return ""
	}
	if rel, err := filepath.Rel(cwd, p); err == nil && !strings.HasPrefix(rel, "..") && scope != connect.ScopeUser {
		return rel
	}
	if home != "" {
		if rel, err := filepath.Rel(home, p); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.Join("~", rel)
		}
	}
	return p
}

func runConnectList(ctx context.Context, opts *connectOptions, cwd string, env connect.Env, cfg *config.File) error {
	req := connect.ListRequest{Env: env}
	if cfg != nil {
		req.ProjectDir = cwd
		req.URLs = append(req.URLs, serverenv.LocalURL(opts.target(cfg).LocalPort(), cfg.Server.Path))
		if deployedName(cfg) != "" && opts.DeployedURL != nil {
			if base, err := opts.DeployedURL(ctx, cfg); err == nil {
				req.URLs = append(req.URLs, serverenv.EndpointURL(base, cfg.Server.Path))
			} else {
				fmt.Fprintf(opts.IO.ErrOut, "warning: deployed URL unknown (%v); showing entries for the local server only\n", err)
			}
		}
	}
	if opts.Target != "" && strings.Contains(opts.Target, "://") {
		req.URLs = append(req.URLs, opts.Target)
	}
	statuses := connect.List(req)
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(statuses)
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CLIENT\tSCOPE\tSTATE\tFILE")
	for _, st := range statuses {
		state := "not configured"
		switch {
		case st.Error != "":
			state = "unreadable: " + st.Error
		case st.Path == "":
			state = "web UI (see `mcpctl connect claude-ai`)"
		case st.Configured:
			state = "configured (" + strings.Join(st.Entries, ", ") + ")"
		case !st.Installed && !st.Exists:
			state = "not installed"
		}
		path := displayPath(st.Scope, cwd, env.Home, st.Path)
		if path == "" {
			path = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", st.Client, st.Scope, state, path)
	}
	return tw.Flush()
}

// hintError is an error with the next step to take.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }
func (e *hintError) Hint() string  { return e.hint }
