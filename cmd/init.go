package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/charmbracelet/huh"
	"github.com/spf13/cobra"
	"golang.org/x/mod/module"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/internal/executor"
	"github.com/mcpctl/mcpctl/internal/iostreams"
	"github.com/mcpctl/mcpctl/keys"
	"github.com/mcpctl/mcpctl/scaffold"
)

type initOptions struct {
	IO    *iostreams.IOStreams
	Exec  executor.Executor
	Getwd func() (string, error)

	Getenv func(string) string
	Arg0   string // how the user ran mcpctl, for the next steps

	Dir     string
	Project scaffold.Project
	Scopes  string // --scopes as typed: space- or comma-separated
	NoGit   bool
	Yes     bool
	DryRun  bool

	// Which values came from flags; the wizard asks only for the others.
	nameSet, moduleSet, authSet, pathSet, portSet, issuerSet bool
}

func newInitCmd(f *Factory, runF func(context.Context, *initOptions) error) *cobra.Command {
	opts := &initOptions{IO: f.IOStreams, Exec: f.Executor, Getwd: f.Getwd, Getenv: f.Getenv, Arg0: f.Arg0}
	opts.Project = scaffold.Project{Path: config.DefaultPath, Port: config.DefaultPort, Auth: config.DefaultAuth, Stateless: true}
	c := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Create a new MCP server project",
		Long: `Create a Go MCP server project in DIR (which must be new or empty): Streamable HTTP at
/mcp, API-key authentication with a fresh key in .env, /health, CORS, graceful shutdown,
tests, and everything Heroku needs. Your tools go in tools/.

With --auth oauth the server is an OAuth 2.1 resource server instead: it accepts the JWT
access tokens of your identity provider (--issuer) that are issued for the endpoint's
public URL (--audience; the local URL goes to .env when it is not known yet) and carry
the scopes (--scopes, default mcp:tools), and it serves the protected-resource metadata
clients discover the provider with. It never issues tokens itself.

When stdin and stdout are terminals and values are missing, a short wizard asks for them;
otherwise (or with --yes) the defaults are used. Nothing is written if any value is invalid,
and no existing file is ever overwritten.`,
		Example: `  mcpctl init weather
  mcpctl init weather --module github.com/you/weather --yes
  mcpctl init . --name my-server --auth none --no-git
  mcpctl init weather --auth oauth --issuer https://your-tenant.us.auth0.com/ --yes
  mcpctl init weather --auth oauth --issuer https://id.example.com/realms/main \
    --audience https://weather.example.com/mcp --scopes "mcp:tools weather:read" --yes`,
		Args: maxArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Dir = args[0]
			}
			fl := c.Flags()
			opts.nameSet, opts.moduleSet, opts.authSet = fl.Changed("name"), fl.Changed("module"), fl.Changed("auth")
			opts.pathSet, opts.portSet = fl.Changed("path"), fl.Changed("port")
			opts.issuerSet = fl.Changed("issuer")
			opts.Project.Scopes = strings.Fields(strings.ReplaceAll(opts.Scopes, ",", " "))
			oauthOnly := opts.issuerSet || fl.Changed("audience") || fl.Changed("scopes")
			switch {
			case oauthOnly && !opts.authSet:
				// An issuer means OAuth; no need to say it twice.
				opts.Project.Auth, opts.authSet = config.AuthOAuth, true
			case oauthOnly && opts.Project.Auth != config.AuthOAuth:
				return FlagErrorf("--issuer, --audience and --scopes apply only with --auth oauth")
			case opts.Project.Auth == config.AuthOAuth && !opts.issuerSet && (opts.Yes || !opts.IO.CanPrompt()):
				return FlagErrorf("--auth oauth needs --issuer URL: the issuer of your identity provider, such as https://your-tenant.us.auth0.com/")
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runInit(c.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.StringVar(&opts.Project.Name, "name", "", "project name, also the Heroku app name (default: DIR's base name)")
	fl.StringVar(&opts.Project.Module, "module", "", "Go module path (default: the name)")
	fl.StringVar(&opts.Project.Auth, "auth", config.DefaultAuth, "authentication: apikey, oauth or none")
	fl.StringVar(&opts.Project.Issuer, "issuer", "", "with --auth oauth: the identity provider's issuer URL")
	fl.StringVar(&opts.Project.Audience, "audience", "", "with --auth oauth: the endpoint's public URL, which tokens must be issued for (default: set per environment)")
	fl.StringVar(&opts.Scopes, "scopes", "", `with --auth oauth: scopes every token must carry, space-separated (default "`+config.DefaultScope+`")`)
	fl.StringVar(&opts.Project.Path, "path", config.DefaultPath, "MCP endpoint path")
	fl.IntVar(&opts.Project.Port, "port", config.DefaultPort, "local port")
	fl.BoolVar(&opts.NoGit, "no-git", false, "do not create a git repository")
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "accept defaults for everything not given; never prompt")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the files that would be written, write nothing")
	_ = c.RegisterFlagCompletionFunc("auth", cobra.FixedCompletions([]string{"apikey", "oauth", "none"}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

func runInit(ctx context.Context, opts *initOptions) error {
	cwd, err := opts.Getwd()
	if err != nil {
		return err
	}
	p := &opts.Project
	interactive := !opts.Yes && opts.IO.CanPrompt() &&
		(opts.Dir == "" || !opts.nameSet || !opts.authSet || !opts.moduleSet || (p.Auth == config.AuthOAuth && !opts.issuerSet))
	if opts.Dir == "" && !interactive {
		return FlagErrorf("name the directory to create the project in, e.g. `mcpctl init weather` (or `mcpctl init .` for this one)")
	}
	if opts.Dir != "" && !opts.nameSet {
		p.Name = filepath.Base(inDir(cwd, opts.Dir))
	}
	if interactive {
		if err := runInitWizard(ctx, opts); err != nil {
			return err
		}
	}
	if !opts.moduleSet && p.Module == "" {
		p.Module = p.Name
	}
	if opts.Dir == "" {
		opts.Dir = p.Name
	}
	p.Dir = inDir(cwd, opts.Dir)
	if err := p.Validate(); err != nil {
		if !opts.nameSet && config.CheckName(p.Name) != nil {
			example := "NAME"
			if s := scaffold.SuggestName(p.Name); s != "" {
				example = s
			}
			err = fmt.Errorf("%w\n(the name defaults to the directory's name; give one with --name %s)", err, example)
		}
		return &FlagError{err: err}
	}

	plan, key, err := p.Plan()
	if err != nil {
		return err
	}
	if opts.DryRun {
		fmt.Fprintf(opts.IO.Out, "Would create %s with:\n", p.Dir)
		for _, f := range plan.Files {
			fmt.Fprintf(opts.IO.Out, "  %s (%d bytes, mode %04o)\n", f.Path, len(f.Data), f.Mode)
		}
		return nil
	}
	if err := scaffold.Apply(p.Dir, plan); err != nil {
		return err
	}

	gitLine := "not created (--no-git)"
	if !opts.NoGit {
		res, err := scaffold.InitGit(ctx, opts.Exec, p.Dir)
		switch {
		case err != nil:
			gitLine = "NO repository: " + err.Error()
		case res.Committed:
			gitLine = "new repository with a first commit"
		case res.Initialized:
			gitLine = "new repository, files staged but NOT committed: " + res.Note +
				"\n       Deploy needs a commit; set who you are and commit (from the project):" +
				"\n       git config --global user.name \"Your Name\" && git config --global user.email you@example.com && git commit -m \"Initial commit\""
		default:
			// Said on stdout with the rest of the summary: a line on stderr is lost
			// under the dashboard of a `&& mcpctl dev` that follows.
			gitLine = "NO repository created: " + res.Note
			if strings.Contains(res.Note, "already inside") {
				gitLine += "\n       The project is a folder of that repository: `mcpctl deploy heroku` pushes only this folder" +
					"\n       and commits there only the app name it records. For a repository of its own, move the folder" +
					"\n       out of that repository and run `git init` in it."
			}
		}
	}
	home := ""
	if opts.Getenv != nil {
		home = opts.Getenv("HOME")
	}
	me, mePath := invocation(opts.Arg0, cwd, home, opts.Exec.LookPath)
	printInitSummary(opts, plan, key, gitLine, me, mePath)
	return nil
}

func printInitSummary(opts *initOptions, plan *scaffold.Plan, key, gitLine, me, mePath string) {
	p := opts.Project
	out := opts.IO.Out
	rel := opts.Dir
	fmt.Fprintf(out, "Created %s (%d files) in %s\n", p.Name, len(plan.Files), rel)
	if key != "" {
		fmt.Fprintf(out, "  API key %s written to %s (mode 0600, git-ignored)\n", keys.Mask(key), filepath.Join(rel, ".env"))
	}
	if p.Auth == config.AuthOAuth {
		resource := p.Audience
		if resource == "" {
			resource = p.LocalURL()
			fmt.Fprintf(out, "  Local resource URL %s written to %s; on a platform set MCP_RESOURCE_URL to the public URL\n", resource, filepath.Join(rel, ".env"))
		}
		scopes := p.Scopes
		if len(scopes) == 0 {
			scopes = []string{config.DefaultScope}
		}
		fmt.Fprintf(out, "  OAuth: accepts access tokens from %s\n", p.Issuer)
		fmt.Fprintf(out, "    issued for %s (aud) with scope %s\n", resource, strings.Join(scopes, " "))
		fmt.Fprintf(out, "  At your provider: register that URL as an API (resource), its scopes, and JWT access tokens\n")
	}
	fmt.Fprintf(out, "  Git: %s\n", gitLine)
	// The next steps are commands to copy: mcpctl named the way it was run (it may not
	// be on PATH), paths quoted for the shell.
	fmt.Fprintf(out, "\nNext:\n")
	if rel != "." {
		fmt.Fprintf(out, "  cd %s\n", shellQuote(rel))
	}
	w := max(len(me)+len(" connect cursor")+3, 27)
	fmt.Fprintf(out, "  %-*s# serve http://127.0.0.1:%d%s with hot reload\n", w, me+" dev", p.Port, p.Path)
	fmt.Fprintf(out, "  %-*s# the project's own tests\n", w, "go test ./...")
	fmt.Fprintf(out, "  %-*s# or claude-code, vscode, …\n", w, me+" connect cursor")
	fmt.Fprintf(out, "  %-*s# ship it\n", w, me+" deploy heroku")
	if me != "mcpctl" {
		fmt.Fprintf(out, "  (mcpctl is not on PATH here; to type just `mcpctl`, add its directory: export PATH=\"$PATH:%s\")\n", filepath.Dir(mePath))
	}
}

// invocation is how to run this mcpctl again from any directory: "mcpctl" when it was
// found on PATH (or PATH finds this very binary), else its absolute path, with ~ for the
// home directory when that needs no quoting, quoted for a POSIX shell. It also returns
// the absolute path ("" when PATH found it).
// inDir is dir as the user meant it: an absolute path as given, a relative one under cwd.
func inDir(cwd, dir string) string {
	if filepath.IsAbs(dir) {
		return filepath.Clean(dir)
	}
	return filepath.Join(cwd, dir)
}

func invocation(arg0, cwd, home string, lookPath func(string) (string, error)) (string, string) {
	const name = "mcpctl"
	if arg0 == "" || !strings.ContainsAny(arg0, `/\`) {
		return name, "" // the shell found it on PATH
	}
	abs := arg0
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(cwd, abs)
	}
	if p, err := lookPath(name); err == nil {
		a, errA := os.Stat(p)
		b, errB := os.Stat(abs)
		if errA == nil && errB == nil && os.SameFile(a, b) {
			return name, ""
		}
	}
	// `go run .` builds into a temporary directory that is gone once it exits.
	if strings.Contains(abs, string(filepath.Separator)+"go-build") {
		return name, ""
	}
	if home != "" {
		if rest, ok := strings.CutPrefix(abs, strings.TrimSuffix(home, string(filepath.Separator))+string(filepath.Separator)); ok && shellQuote(rest) == rest {
			return "~/" + filepath.ToSlash(rest), abs
		}
	}
	return shellQuote(abs), abs
}

// shellQuote quotes s for a POSIX shell when it holds anything but plain path characters.
func shellQuote(s string) string {
	plain := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-./:@%+=,", r)) {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// runInitWizard asks for the values no flag gave. It validates each answer with the same
// checks as the flags, so both paths produce the same project.
func runInitWizard(ctx context.Context, opts *initOptions) error {
	p := &opts.Project
	portStr := strconv.Itoa(p.Port)
	var fields []huh.Field
	if !opts.nameSet {
		fields = append(fields, huh.NewInput().Title("Project name").
			Description("Also the Heroku app name: lowercase letters, digits, dashes").
			Value(&p.Name).Validate(config.CheckName))
	}
	if !opts.moduleSet {
		fields = append(fields, huh.NewInput().Title("Go module path").
			Description("Leave empty to use the project name").
			Value(&p.Module).Validate(func(s string) error {
			if s == "" {
				return nil
			}
			if module.CheckImportPath(s) != nil {
				return errors.New("not a valid Go module path, e.g. github.com/you/weather")
			}
			return nil
		}))
	}
	if !opts.authSet {
		fields = append(fields, huh.NewSelect[string]().Title("Authentication").
			Options(
				huh.NewOption("API key (x-api-key header)", config.AuthAPIKey),
				huh.NewOption("None (local development only)", config.AuthNone),
				huh.NewOption("OAuth 2.1 (tokens from your identity provider)", config.AuthOAuth),
			).Value(&p.Auth))
	}
	if !opts.pathSet {
		fields = append(fields, huh.NewInput().Title("MCP endpoint path").Value(&p.Path).Validate(config.CheckPath))
	}
	if !opts.portSet {
		fields = append(fields, huh.NewInput().Title("Local port").Value(&portStr).Validate(func(s string) error {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 65535 {
				return errors.New("a TCP port, 1-65535")
			}
			return nil
		}))
	}
	// Asked only when OAuth is chosen (or given without an issuer).
	scopes := strings.Join(p.Scopes, " ")
	if scopes == "" {
		scopes = config.DefaultScope
	}
	oauth := huh.NewGroup(
		huh.NewInput().Title("Issuer URL of your identity provider").
			Description("Exactly as its tokens' iss claim says, e.g. https://your-tenant.us.auth0.com/").
			Value(&p.Issuer).Validate(config.CheckOAuthURL),
		huh.NewInput().Title("Public URL of the MCP endpoint").
			Description("Tokens must be issued for it. Leave empty to set it per environment").
			Value(&p.Audience).Validate(func(s string) error {
			if s == "" {
				return nil
			}
			return config.CheckResourceURL(s, p.Path)
		}),
		huh.NewInput().Title("Scopes every token must carry").Value(&scopes).Validate(func(s string) error {
			for _, sc := range strings.Fields(s) {
				if err := config.CheckScope(sc); err != nil {
					return err
				}
			}
			return nil
		}),
	).WithHideFunc(func() bool { return p.Auth != config.AuthOAuth || opts.issuerSet })
	if len(fields) == 0 && (p.Auth != config.AuthOAuth || opts.issuerSet) {
		return nil
	}
	groups := []*huh.Group{oauth}
	if len(fields) > 0 {
		groups = append([]*huh.Group{huh.NewGroup(fields...)}, groups...)
	}
	form := huh.NewForm(groups...).WithInput(opts.IO.In).WithOutput(opts.IO.ErrOut)
	if err := form.RunWithContext(ctx); err != nil {
		if errors.Is(err, huh.ErrUserAborted) {
			return ErrCancelled
		}
		return err
	}
	p.Port, _ = strconv.Atoi(portStr)
	if p.Auth == config.AuthOAuth && !opts.issuerSet {
		p.Scopes = strings.Fields(scopes)
	}
	return nil
}
