package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/internal/envfile"
	"github.com/mcpctl/mcpctl/internal/executor"
	"github.com/mcpctl/mcpctl/internal/iostreams"
	"github.com/mcpctl/mcpctl/serverenv"
	"github.com/mcpctl/mcpctl/toolsurface"
)

type diffOptions struct {
	IO     *iostreams.IOStreams
	Exec   executor.Executor
	Getwd  func() (string, error)
	Getenv func(string) string
	// DeployedURL returns the deployed app's base URL.
	DeployedURL func(ctx context.Context, dir string, cfg *config.File) (string, error)

	Old, New string
	JSON     bool
	Headers  []string
	KeyEnv   string

	header http.Header
}

func newDiffCmd(f *Factory, runF func(context.Context, *diffOptions) error) *cobra.Command {
	opts := &diffOptions{IO: f.IOStreams, Exec: f.Executor, Getwd: f.Getwd, Getenv: f.Getenv,
		DeployedURL: func(ctx context.Context, dir string, cfg *config.File) (string, error) {
			p, err := projectPlatform(f.IOStreams, f.Executor, f.Getenv, dir, cfg)
			if err != nil {
				return "", err
			}
			return p.WebURL(ctx)
		}}
	c := &cobra.Command{
		Use:   "diff [OLD] [NEW]",
		Short: "Compare two servers' tools and point out breaking changes",
		Long: `Compare the tools two MCP servers offer (names, titles, descriptions, input and output
schemas, annotations) and classify every change as compatible or breaking for clients
built against OLD: a removed tool, a new required argument, a removed property, a
narrowed type, enum or bound are breaking.

Each side is one of:
  local      this project, built and started privately (default NEW)
  deployed   this project's deployed app (default OLD)
  URL        any MCP endpoint, e.g. https://example.com/mcp
  FILE.json  a saved tools/list result
  DIR        another project directory

URL and deployed sides are sent the API key from the variable --key-env names (default
MCP_API_KEY, from the environment or ./.env) and every --header.

Exit status: 0 without breaking changes, 1 with one (or on an error), 2 on usage errors.`,
		Example: `  mcpctl diff                          # deployed app → this project
  mcpctl diff deployed local --json
  mcpctl diff https://example.com/mcp local -H 'Authorization: Bearer …'
  mcpctl diff before.json local`,
		Args: maxArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Old, opts.New = "deployed", "local"
			if len(args) > 0 {
				opts.Old = args[0]
			}
			if len(args) > 1 {
				opts.New = args[1]
			}
			h, err := parseHeaderFlags(opts.Headers)
			if err != nil {
				return err
			}
			opts.header = h
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runDiff(c.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.BoolVar(&opts.JSON, "json", false, "print the diff as JSON on stdout")
	fl.StringArrayVarP(&opts.Headers, "header", "H", nil, "request header 'Name: value' for URL and deployed sides (repeatable)")
	fl.StringVar(&opts.KeyEnv, "key-env", defaultKeyEnv, "environment variable (or ./.env entry) holding the API key")
	return c
}

// diffJSON is the --json shape: the two sides and the diff. Fields are only added.
type diffJSON struct {
	Old string `json:"old"`
	New string `json:"new"`
	toolsurface.Diff
}

// breakingError is a diff that found breaking changes: exit 1, already reported.
type breakingError struct{ summary string }

func (e *breakingError) Error() string        { return "breaking changes: " + e.summary }
func (e *breakingError) ExitCode() int        { return 1 }
func (e *breakingError) Is(target error) bool { return target == ErrSilent }

func runDiff(ctx context.Context, opts *diffOptions) error {
	cwd, err := opts.Getwd()
	if err != nil {
		return err
	}
	oldTools, oldLabel, err := opts.side(ctx, cwd, opts.Old)
	if err != nil {
		return fmt.Errorf("%s: %w", opts.Old, err)
	}
	newTools, newLabel, err := opts.side(ctx, cwd, opts.New)
	if err != nil {
		return fmt.Errorf("%s: %w", opts.New, err)
	}
	d := toolsurface.Compare(oldTools, newTools)
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(diffJSON{Old: oldLabel, New: newLabel, Diff: d}); err != nil {
			return err
		}
	} else {
		writeSurfaceDiff(opts.IO.Out, oldLabel, newLabel, d)
	}
	if d.Breaking {
		return &breakingError{summary: d.Summary()}
	}
	return nil
}

// writeSurfaceDiff prints a diff for people: a title, one line per change, a summary.
func writeSurfaceDiff(w io.Writer, oldLabel, newLabel string, d toolsurface.Diff) {
	fmt.Fprintf(w, "Tools: %s → %s\n", oldLabel, newLabel)
	for _, l := range d.Lines() {
		fmt.Fprintf(w, "  %s\n", l)
	}
	fmt.Fprintf(w, "%s\n", d.Summary())
}

// side lists the tools of one side of a diff and names it for the output.
func (o *diffOptions) side(ctx context.Context, cwd, spec string) ([]toolsurface.Tool, string, error) {
	switch {
	case spec == "local":
		tools, err := localSurface(ctx, o.Exec, cwd)
		return tools, "local", err
	case spec == "deployed":
		cfg, err := config.Load(cwd)
		if err != nil {
			return nil, "", err
		}
		if deployedName(cfg) == "" {
			return nil, "", &hintError{err: errors.New("the project is not deployed yet"),
				hint: "deploy it with " + deployHint + ", or compare with a URL: mcpctl diff URL local"}
		}
		base, err := o.DeployedURL(ctx, cwd, cfg)
		if err != nil {
			return nil, "", err
		}
		endpoint := serverenv.EndpointURL(base, cfg.Server.Path)
		tools, err := toolsurface.Fetch(ctx, endpoint, o.requestHeader(cwd), nil)
		return tools, "deployed " + endpoint, err
	case strings.HasPrefix(spec, "http://") || strings.HasPrefix(spec, "https://"):
		tools, err := toolsurface.Fetch(ctx, spec, o.requestHeader(cwd), nil)
		return tools, spec, err
	}
	path := spec
	if !filepath.IsAbs(path) {
		path = filepath.Join(cwd, path)
	}
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return nil, "", FlagErrorf("%q is not local, deployed, an http(s) URL, a file or a project directory", spec)
	case fi.IsDir():
		tools, err := localSurface(ctx, o.Exec, path)
		return tools, spec, err
	default:
		tools, err := toolsurface.ReadFile(path)
		return tools, spec, err
	}
}

// requestHeader is --header plus the API key, unless a header already carries one.
func (o *diffOptions) requestHeader(cwd string) http.Header {
	h := o.header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if h.Get("x-api-key") != "" || h.Get("Authorization") != "" {
		return h
	}
	// The one key order (serverenv); an unreadable .env just means no key here.
	k, _ := serverenv.ResolveKey(serverenv.KeyRequest{Var: o.KeyEnv, Getenv: o.Getenv, EnvFile: filepath.Join(cwd, envfile.Name)})
	if k.Found() {
		h.Set(serverenv.HeaderAPIKey, k.Value)
	}
	return h
}

// localSurface builds the project in dir and lists its tools.
func localSurface(ctx context.Context, exec executor.Executor, dir string) ([]toolsurface.Tool, error) {
	cfg, err := config.Load(dir)
	if err != nil {
		return nil, err
	}
	env, err := devEnv(dir, cfg.Server.Port, nil) // .env alone: nothing from this shell
	if err != nil {
		return nil, err
	}
	return toolsurface.Local(ctx, toolsurface.LocalOptions{
		Dir: dir, Package: mainPackage(dir, cfg.Project.Name), Path: cfg.Server.Path, Env: env, Exec: exec,
	})
}
