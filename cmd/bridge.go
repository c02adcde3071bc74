package cmd

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mcpctl/mcpctl/bridge"
	"github.com/mcpctl/mcpctl/connect"
	"github.com/mcpctl/mcpctl/internal/envfile"
	"github.com/mcpctl/mcpctl/internal/iostreams"
	"github.com/mcpctl/mcpctl/serverenv"
)

type bridgeOptions struct {
	IO     *iostreams.IOStreams
	Getwd  func() (string, error)
	Getenv func(string) string

	URL     string
	KeyEnv  string
	EnvFile string
	Headers []string
	Verbose bool

	keyEnvSet bool
	header    http.Header
}

func newBridgeCmd(f *Factory, runF func(context.Context, *bridgeOptions) error) *cobra.Command {
	opts := &bridgeOptions{IO: f.IOStreams, Getwd: f.Getwd, Getenv: f.Getenv}
	c := &cobra.Command{
		Use:   "bridge URL",
		Short: "Connect a stdio MCP client to a remote server",
		Long: `Forward MCP messages between stdin/stdout and a Streamable HTTP server, unchanged in both
directions, so that clients which can only start a command (Claude Desktop) reach a remote
server without Node. ` + "`mcpctl connect claude-desktop`" + ` writes an entry that runs it.

The API key goes in the x-api-key header. It is read from the variable --key-env names
(default MCP_API_KEY), in the order every mcpctl command uses: a flag first (--env-file,
the project's .env, since clients start the bridge with a bare environment), then the
environment, then ./.env. Without --key-env, a missing key means no header (for public
servers). A refused key's error names where it came from.

stdout carries only protocol messages; diagnostics go to stderr. The bridge exits when
stdin closes, after answering requests already sent.`,
		Example: `  mcpctl bridge https://myserver-1a2b3c4d5e6f.herokuapp.com/mcp --key-env MCP_API_KEY --env-file ~/src/myserver/.env
  mcpctl bridge http://127.0.0.1:8000/mcp`,
		Args: oneURL,
		RunE: func(c *cobra.Command, args []string) error {
			opts.URL = args[0]
			opts.keyEnvSet = c.Flags().Changed("key-env")
			if err := opts.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runBridge(c.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.StringVar(&opts.KeyEnv, "key-env", connect.DefaultKeyEnv, "variable holding the API key")
	fl.StringVar(&opts.EnvFile, "env-file", "", "a .env file to read the key from before the environment")
	fl.StringArrayVarP(&opts.Headers, "header", "H", nil, "extra request header 'Name: value' (repeatable)")
	fl.BoolVarP(&opts.Verbose, "verbose", "v", false, "log the bridge's diagnostics to stderr")
	return c
}

func (o *bridgeOptions) validate() error {
	if !strings.HasPrefix(o.URL, "http://") && !strings.HasPrefix(o.URL, "https://") {
		return FlagErrorf("%q is not an http(s) URL (want e.g. https://example.com/mcp)", o.URL)
	}
	header, err := parseHeaderFlags(o.Headers)
	if err != nil {
		return err
	}
	o.header = header
	if o.keyEnvSet && o.KeyEnv == "" {
		return FlagErrorf("--key-env needs a variable name")
	}
	return nil
}

func runBridge(ctx context.Context, opts *bridgeOptions) error {
	level := slog.LevelWarn
	if opts.Verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(opts.IO.ErrOut, &slog.HandlerOptions{Level: level}))

	header, key, err := opts.keyHeader()
	if err != nil {
		return err
	}
	for k, vs := range opts.header {
		header[k] = vs
	}
	b := &bridge.Bridge{URL: opts.URL, Header: header, Logger: log}
	switch {
	case key.Found():
		b.AuthHint = "the key sent is " + key.Source
	case len(opts.header) == 0:
		b.AuthHint = fmt.Sprintf("%s is not set in %s; pass --env-file with the project's .env", opts.KeyEnv, strings.Join(key.Looked, " or "))
	}
	return b.Run(ctx, opts.IO.In, opts.IO.Out)
}

// keyHeader finds the key in serverenv's one order: --env-file (a flag), the environment,
// then ./.env. It is required when --key-env or --env-file was given, optional otherwise.
func (o *bridgeOptions) keyHeader() (http.Header, serverenv.Key, error) {
	req := serverenv.KeyRequest{Var: o.KeyEnv, FlagFile: o.EnvFile, Getenv: o.Getenv}
	if cwd, err := o.Getwd(); err == nil {
		req.EnvFile = filepath.Join(cwd, envfile.Name)
	}
	k, err := serverenv.ResolveKey(req)
	if err != nil {
		return nil, k, err
	}
	h := http.Header{}
	if !k.Found() {
		if o.keyEnvSet || o.EnvFile != "" {
			return nil, k, &serverenv.NotFoundError{Var: o.KeyEnv, Looked: k.Looked}
		}
		return h, k, nil
	}
	h.Set(bridge.APIKeyHeaderName, k.Value)
	return h, k, nil
}
