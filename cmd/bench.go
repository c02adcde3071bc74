package cmd

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mcpctl/mcpctl/internal/iostreams"
	"github.com/mcpctl/mcpctl/loadgen"
	"github.com/mcpctl/mcpctl/probe"
)

type benchOptions struct {
	IO      *iostreams.IOStreams
	Getwd   func() (string, error)
	Version string
	// HTTPClient replaces the keep-alive client (tests).
	HTTPClient *http.Client

	URL         string
	Call        string
	Args        string
	Concurrency int
	Duration    time.Duration
	Requests    int64
	Rate        float64
	Protocol    string
	Timeout     time.Duration
	JSON        bool
	Yes         bool
	credentialOptions

	args json.RawMessage
}

func newBenchCmd(f *Factory, runF func(context.Context, *benchOptions) error) *cobra.Command {
	opts := &benchOptions{IO: f.IOStreams, Getwd: f.Getwd, Version: f.Version, credentialOptions: credentialOptions{Getenv: f.Getenv}}
	c := &cobra.Command{
		Use:   "bench URL",
		Short: "Load an MCP endpoint and report calls/s and latency",
		Long: `Load any Streamable HTTP MCP endpoint with -c concurrent clients, each on its own
keep-alive connection (and, in the 2025-11-25 era, its own session), and report the
calls per second, the latency percentiles of correct answers and the failed calls by
class. Only a JSON-RPC response with the request's id and a result (not isError) counts.

By default each client calls tools/list; --call TOOL --args JSON calls a tool instead.
The run is bounded by -d (default 10s) or -n; --rate caps the calls per second of all
clients together. --protocol picks the era (auto asks the server with server/discover).

The key options are those of mcpctl check: the key comes from --key-env (default
MCP_API_KEY, environment or ./.env) and goes in x-api-key. The first call runs alone, so
a wrong URL or key is one clear error. Loading a host that is not this machine asks
first (--yes to skip the question): it is real traffic on someone's server.`,
		Example: `  mcpctl bench http://127.0.0.1:8000/mcp
  mcpctl bench http://127.0.0.1:8000/mcp --call say_hello --args '{"name":"Ada"}' -c 64 -d 30s
  mcpctl bench https://myserver.example.com/mcp -n 1000 --rate 50 --yes --json`,
		Args: oneURL,
		RunE: func(c *cobra.Command, args []string) error {
			opts.URL = args[0]
			if c.Flags().Changed("requests") && !c.Flags().Changed("duration") {
				opts.Duration = 0
			}
			if err := opts.validate(c); err != nil {
				return err
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runBench(c.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.StringVar(&opts.Call, "call", "", "call this tool (default: tools/list)")
	fl.StringVar(&opts.Args, "args", "", "arguments of the --call tool, as a JSON object")
	fl.IntVarP(&opts.Concurrency, "concurrency", "c", 16, "concurrent clients")
	fl.DurationVarP(&opts.Duration, "duration", "d", 10*time.Second, "how long to load (0 with -n: until n calls)")
	fl.Int64VarP(&opts.Requests, "requests", "n", 0, "stop after this many calls")
	fl.Float64Var(&opts.Rate, "rate", 0, "cap on calls per second over all clients (0: as fast as answered)")
	fl.StringVar(&opts.Protocol, "protocol", loadgen.EraAuto, "protocol era: auto, 2026-07-28 or 2025-11-25")
	fl.DurationVar(&opts.Timeout, "timeout", loadgen.DefaultTimeout, "timeout of each call")
	opts.credentialOptions.addFlags(c)
	fl.BoolVar(&opts.JSON, "json", false, "print one machine-readable JSON report")
	fl.BoolVar(&opts.Yes, "yes", false, "load a host that is not this machine without asking")
	return c
}

func (o *benchOptions) validate(c *cobra.Command) error {
	u, err := probe.ParseURL(o.URL)
	if err != nil {
		return &FlagError{err: err}
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/mcp"
	}
	o.URL = u.String()
	if err := o.credentialOptions.validate(c); err != nil {
		return err
	}
	switch {
	case o.Concurrency < 1:
		return FlagErrorf("-c must be at least 1")
	case o.Duration < 0 || o.Requests < 0:
		return FlagErrorf("-d and -n must not be negative")
	case o.Duration == 0 && o.Requests == 0:
		return FlagErrorf("refusing to run unbounded: give -d DURATION or -n COUNT")
	case o.Rate < 0:
		return FlagErrorf("--rate must not be negative")
	case o.Timeout <= 0:
		return FlagErrorf("--timeout must be positive")
	}
	switch o.Protocol {
	case loadgen.EraAuto, loadgen.Era2026, loadgen.Era2025:
	default:
		return FlagErrorf("--protocol %q: want auto, %s or %s", o.Protocol, loadgen.Era2026, loadgen.Era2025)
	}
	o.args, err = toolArgs(o.Call, o.Args)
	return err
}

// benchFailedError reports calls that failed under load; the report has said which.
type benchFailedError struct{ failed int64 }

func (e *benchFailedError) Error() string {
	return fmt.Sprintf("%d %s failed", e.failed, pluralWord(e.failed, "call", "calls"))
}
func (e *benchFailedError) Is(target error) bool { return target == ErrSilent }

// benchSetupError is a run that never started: the first call failed.
type benchSetupError struct{ err *loadgen.SetupError }

func (e *benchSetupError) Error() string { return e.err.Detail }
func (e *benchSetupError) Hint() string  { return e.err.Hint }

func runBench(ctx context.Context, opts *benchOptions) error {
	cwd, err := opts.Getwd()
	if err != nil {
		return err
	}
	key, keyHeader, _, err := opts.credential(cwd)
	if err != nil {
		return err
	}
	header := opts.header.Clone()
	if key != "" {
		if strings.EqualFold(keyHeader, "Authorization") {
			header.Set("Authorization", "Bearer "+key)
		} else {
			header.Set(keyHeader, key)
		}
	}
	if err := opts.confirmRemote(); err != nil {
		return err
	}

	lo := loadgen.Options{
		URL:           opts.URL,
		Header:        header,
		Tool:          opts.Call,
		Args:          opts.args,
		Concurrency:   opts.Concurrency,
		Duration:      opts.Duration,
		Requests:      opts.Requests,
		Rate:          opts.Rate,
		Era:           opts.Protocol,
		Timeout:       opts.Timeout,
		HTTPClient:    opts.HTTPClient,
		ClientName:    "mcpctl-bench",
		ClientVersion: opts.Version,
	}
	errOut := opts.IO.ErrOut
	if opts.IO.IsStderrTTY() {
		lo.Progress = func(p loadgen.Progress) { fmt.Fprintf(errOut, "\r\033[K%s", p) }
	}
	rep, err := loadgen.Run(ctx, lo)
	if lo.Progress != nil {
		fmt.Fprint(errOut, "\r\033[K")
	}
	var se *loadgen.SetupError
	if errors.As(err, &se) {
		return &benchSetupError{err: se}
	}
	if rep == nil {
		return err
	}
	if opts.JSON {
		if werr := rep.WriteJSON(opts.IO.Out); werr != nil {
			return werr
		}
	} else {
		rep.WriteText(opts.IO.Out)
	}
	if err != nil {
		return err
	}
	if rep.Failed > 0 {
		return &benchFailedError{failed: rep.Failed}
	}
	return nil
}

// confirmRemote asks before loading a host that is not this machine.
func (o *benchOptions) confirmRemote() error {
	u, _ := probe.ParseURL(o.URL)
	host := u.Hostname()
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) || o.Yes {
		return nil
	}
	fmt.Fprintf(o.IO.ErrOut, "Warning: %s is not this machine; bench sends it real load (%d clients).\n", host, o.Concurrency)
	if !o.IO.CanPrompt() {
		return &remoteNotConfirmedError{host: host}
	}
	fmt.Fprint(o.IO.ErrOut, "Load it? [y/N] ")
	line, _ := bufio.NewReader(o.IO.In).ReadString('\n')
	if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
		return ErrCancelled
	}
	return nil
}

type remoteNotConfirmedError struct{ host string }

func (e *remoteNotConfirmedError) Error() string {
	return fmt.Sprintf("not loading %s without confirmation", e.host)
}
func (e *remoteNotConfirmedError) Hint() string {
	return "pass --yes if you mean to load a server that is not on this machine"
}

func pluralWord(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

var (
	_ Hinter = (*benchSetupError)(nil)
	_ Hinter = (*remoteNotConfirmedError)(nil)
)
