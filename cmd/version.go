package cmd

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// BuildInfo says which mcpctl this is, as `go build` and `go install` record it.
type BuildInfo struct {
	Version  string // module version (v1.2.3, or a pseudo-version); "dev" when none
	Revision string // VCS commit; empty when built from a module download
	Time     string // commit time, RFC 3339
	Modified bool   // built from a tree with uncommitted changes
}

// ReadBuildInfo prefers a version stamped at release (-ldflags "-X main.version=…"), then
// the module version and VCS revision the Go toolchain records in the binary.
func ReadBuildInfo(stamped string) BuildInfo {
	bi, _ := debug.ReadBuildInfo()
	return buildInfoFrom(stamped, bi)
}

func buildInfoFrom(stamped string, bi *debug.BuildInfo) BuildInfo {
	b := BuildInfo{Version: stamped}
	if bi != nil {
		if b.Version == "" && bi.Main.Version != "(devel)" {
			b.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Revision = s.Value
			case "vcs.time":
				b.Time = s.Value
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	if b.Version == "" {
		b.Version = "dev"
	}
	return b
}

// String is the one line --version and `mcpctl version` print after "mcpctl ".
func (b BuildInfo) String() string {
	var extra []string
	if b.Revision != "" {
		rev := b.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		extra = append(extra, "commit "+rev)
	}
	if b.Time != "" {
		extra = append(extra, b.Time)
	}
	if b.Modified {
		extra = append(extra, "modified")
	}
	if len(extra) == 0 {
		return b.Version
	}
	return b.Version + " (" + strings.Join(extra, ", ") + ")"
}

func newVersionCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print mcpctl's version and the commit it was built from",
		Long: `Print the module version of this mcpctl and, when it was built from a git checkout, the
commit, its time and whether the tree had uncommitted changes. Same as ` + "`mcpctl --version`" + `.`,
		Example: "  mcpctl version",
		Args:    noArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintf(f.IOStreams.Out, "mcpctl %s\n", f.versionLine())
			return err
		},
	}
}

// versionLine describes this build; a test factory has only a Version.
func (f *Factory) versionLine() string {
	if f.Build.Version == "" {
		return f.Version
	}
	return f.Build.String()
}
