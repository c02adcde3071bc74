package cmd

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/charmbracelet/huh"
	"github.com/spf13/cobra"
	"golang.org/x/mod/module"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/executor"
	"github.com/mcpctl/mcpctl/iostreams"
	"github.com/mcpctl/mcpctl/keys"
	"github.com/mcpctl/mcpctl/scaffold"
)

type initOptions struct {
	IO    *iostreams.IOStreams
	Exec  executor.Executor
	Getwd func() (string, error)

	Dir     string
	Project scaffold.Project
	NoGit   bool
	Yes     bool
	DryRun  bool

	// Which values came from flags; the wizard asks only for the others.
	nameSet, moduleSet, authSet, pathSet, portSet bool
}

func newInitCmd(f *Factory, runF func(context.Context, *initOptions) error) *cobra.Command {
	opts := &initOptions{IO: f.IOStreams, Exec: f.Executor, Getwd: f.Getwd}
	opts.Project = scaffold.Project{Path: config.DefaultPath, Port: config.DefaultPort, Auth: config.DefaultAuth, Stateless: true}
	c := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Create a new MCP server project",
		Long: `Create a Go MCP server project in DIR (which must be new or empty): Streamable HTTP at
/mcp, API-key authentication with a fresh key in .env, /health, CORS, graceful shutdown,
tests, and everything Heroku needs. Your tools go in tools/.

When stdin and stdout are terminals and values are missing, a short wizard asks for them;
otherwise (or with --yes) the defaults are used. Nothing is written if any value is invalid,
and no existing file is ever overwritten.`,
		Example: `  mcpctl init weather
  mcpctl init weather --module github.com/you/weather --yes
  mcpctl init . --name my-server --auth none --no-git`,
		Args: maxArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Dir = args[0]
			}
			fl := c.Flags()
			opts.nameSet, opts.moduleSet, opts.authSet = fl.Changed("name"), fl.Changed("module"), fl.Changed("auth")
			opts.pathSet, opts.portSet = fl.Changed("path"), fl.Changed("port")
			if opts.Project.Auth == config.AuthOAuth {
				return FlagErrorf("--auth oauth is not available in this version of mcpctl yet; use --auth apikey (the default)")
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
	fl.StringVar(&opts.Project.Auth, "auth", config.DefaultAuth, "authentication: apikey or none")
	fl.StringVar(&opts.Project.Path, "path", config.DefaultPath, "MCP endpoint path")
	fl.IntVar(&opts.Project.Port, "port", config.DefaultPort, "local port")
	fl.BoolVar(&opts.NoGit, "no-git", false, "do not create a git repository")
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "accept defaults for everything not given; never prompt")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the files that would be written, write nothing")
	_ = c.RegisterFlagCompletionFunc("auth", cobra.FixedCompletions([]string{"apikey", "none"}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

func runInit(ctx context.Context, opts *initOptions) error {
	cwd, err := opts.Getwd()
	if err != nil {
		return err
	}
	p := &opts.Project
	interactive := !opts.Yes && opts.IO.CanPrompt() &&
		(opts.Dir == "" || !opts.nameSet || !opts.authSet || !opts.moduleSet)
	if opts.Dir == "" && !interactive {
		return FlagErrorf("name the directory to create the project in, e.g. `mcpctl init weather` (or `mcpctl init .` for this one)")
	}
	if opts.Dir != "" && !opts.nameSet {
		p.Name = filepath.Base(filepath.Join(cwd, opts.Dir))
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
	p.Dir = filepath.Join(cwd, opts.Dir)
	if err := p.Validate(); err != nil {
		if !opts.nameSet && config.CheckName(p.Name) != nil {
			err = fmt.Errorf("%w\n(the name defaults to the directory's name; give one with --name)", err)
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

	var gitNote string
	if !opts.NoGit {
		res, err := scaffold.InitGit(ctx, opts.Exec, p.Dir)
		switch {
		case err != nil:
			gitNote = "git: " + err.Error()
		case res.Note != "":
			gitNote = res.Note
		}
	}
	printInitSummary(opts, plan, key, gitNote)
	return nil
}

func printInitSummary(opts *initOptions, plan *scaffold.Plan, key, gitNote string) {
	p := opts.Project
	out := opts.IO.Out
	rel := opts.Dir
	fmt.Fprintf(out, "Created %s (%d files) in %s\n", p.Name, len(plan.Files), rel)
	if key != "" {
		fmt.Fprintf(out, "  API key %s written to %s (mode 0600, git-ignored)\n", keys.Mask(key), filepath.Join(rel, ".env"))
	}
	if gitNote != "" {
		fmt.Fprintf(opts.IO.ErrOut, "Note: %s\n", gitNote)
	}
	fmt.Fprintf(out, "\nNext:\n")
	if rel != "." {
		fmt.Fprintf(out, "  cd %s\n", rel)
	}
	fmt.Fprintf(out, "  mcpctl dev                 # serve http://127.0.0.1:%d%s with hot reload\n", p.Port, p.Path)
	fmt.Fprintf(out, "  go test ./...              # the project's own tests\n")
	fmt.Fprintf(out, "  mcpctl connect cursor      # or claude-code, vscode, …\n")
	fmt.Fprintf(out, "  mcpctl deploy heroku       # ship it\n")
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
	if len(fields) == 0 {
		return nil
	}
	form := huh.NewForm(huh.NewGroup(fields...)).WithInput(opts.IO.In).WithOutput(opts.IO.ErrOut)
	if err := form.RunWithContext(ctx); err != nil {
		if errors.Is(err, huh.ErrUserAborted) {
			return ErrCancelled
		}
		return err
	}
	p.Port, _ = strconv.Atoi(portStr)
	return nil
}
