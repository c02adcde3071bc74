package cmd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/doctor"
	"github.com/mcpctl/mcpctl/internal/executor"
	"github.com/mcpctl/mcpctl/internal/iostreams"
)

type doctorOptions struct {
	IO    *iostreams.IOStreams
	Exec  executor.Executor
	Getwd func() (string, error)

	Dir  string
	JSON bool
	Fast bool
}

func newDoctorCmd(f *Factory, runF func(context.Context, *doctorOptions) error) *cobra.Command {
	opts := &doctorOptions{IO: f.IOStreams, Exec: f.Executor, Getwd: f.Getwd}
	c := &cobra.Command{
		Use:   "doctor",
		Short: "Check a project for the pitfalls that break a deployed MCP server",
		Long: `Check the project for every known pitfall before it is deployed. Each check prints one
line (✓ passed, ! warning, ✗ error, - skipped); every problem then gets its id, what is
wrong, and the fix.

Checks: mcpctl.toml loads; the project is a git repository; the server binds $PORT on
every interface; the MCP path in the code matches mcpctl.toml; no legacy SSE transport;
the Procfile's web process runs the binary the build makes; go.mod has the Heroku
buildpack's goVersion (and install) directives; .env is git-ignored, untracked and mode
0600; no API key or other secret in a tracked file or anywhere in git history; auth is
not "none" for a deploy; stateless = false with one web process only; no wildcard CORS
origin; the project builds (go build ./...) and its tests pass (go test ./...). --fast
skips the build and the tests.

Exit status: 0 when nothing is an error (warnings allowed), 1 when something is, 2 for
invalid flags.`,
		Example: `  mcpctl doctor
  mcpctl doctor --fast
  mcpctl doctor --dir ../weather --json`,
		Args: maxArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runDoctor(c.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.StringVar(&opts.Dir, "dir", ".", "project directory")
	fl.BoolVar(&opts.JSON, "json", false, "print one machine-readable JSON report")
	fl.BoolVar(&opts.Fast, "fast", false, "skip the build and the tests")
	return c
}

// doctorFailedError carries a failed report's exit status to main. The report has
// already listed every problem, so main prints nothing more.
type doctorFailedError struct{ report *doctor.Report }

func (e *doctorFailedError) Error() string        { return "doctor: " + e.report.Summary }
func (e *doctorFailedError) ExitCode() int        { return 1 }
func (e *doctorFailedError) Is(target error) bool { return target == ErrSilent }

func runDoctor(ctx context.Context, opts *doctorOptions) error {
	cwd, err := opts.Getwd()
	if err != nil {
		return err
	}
	dir := opts.Dir
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(cwd, dir)
	}
	if st, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return FlagErrorf("--dir %s: no such directory", opts.Dir)
	} else if err != nil {
		return err
	} else if !st.IsDir() {
		return FlagErrorf("--dir %s: not a directory", opts.Dir)
	}

	out := opts.IO.Out
	color := opts.IO.ColorEnabled() && opts.IO.IsStdoutTTY()
	do := doctor.Options{Dir: dir, Exec: opts.Exec, Fast: opts.Fast}
	if cfg, err := config.Load(dir); err == nil && cfg.Deploy.CloudRun.Service != "" {
		do.Deployed = cloudRunDeployed(opts.Exec, dir, cfg.Deploy.CloudRun)
	}
	if !opts.JSON {
		doctor.WriteHeader(out, dir)
		do.OnCheck = func(c doctor.CheckResult) { doctor.WriteCheck(out, c, color) }
	}
	report, err := doctor.Run(ctx, do)
	if err != nil {
		return fmt.Errorf("doctor: %w", err)
	}
	if opts.JSON {
		if err := report.WriteJSON(out); err != nil {
			return err
		}
	} else {
		report.WriteSummary(out, color)
	}
	if !report.OK() {
		return &doctorFailedError{report: report}
	}
	return nil
}

// Interfaces main matches with errors.As, asserted so that a renamed method fails the build.
var _ interface{ ExitCode() int } = (*doctorFailedError)(nil)
