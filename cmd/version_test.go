package cmd

import (
	"runtime/debug"
	"testing"
)

func TestBuildInfoFrom(t *testing.T) {
	vcs := []debug.BuildSetting{
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "c496829250acb0ebf186037fd21fe2b499fb9cef"},
		{Key: "vcs.time", Value: "2026-12-02T18:56:43Z"},
		{Key: "vcs.modified", Value: "true"},
	}
	for _, tc := range []struct {
		stamped string
		bi      *debug.BuildInfo
		want    string
	}{
		{"", nil, "dev"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3"},
		{"v9.9.9", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "v9.9.9"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261202185643-c496829250ac+dirty"}, Settings: vcs},
			"v0.0.0-20261202185643-c496829250ac+dirty (commit c496829250ac, 2026-12-02T18:56:43Z, modified)"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs[:3]}, "dev (commit c496829250ac, 2026-12-02T18:56:43Z)"},
	} {
		if got := buildInfoFrom(tc.stamped, tc.bi).String(); got != tc.want {
			t.Errorf("buildInfoFrom(%q, %+v) = %q, want %q", tc.stamped, tc.bi, got, tc.want)
		}
	}
}

// --version and `mcpctl version` print the same line, with the commit; -v is not
// --version (bridge uses it for --verbose).
func TestVersionCommand(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		f, out, _, _ := testFactory(t, t.TempDir())
		f.Build = BuildInfo{Version: "v1.2.3", Revision: "0123456789abcdef"}
		if err := execute(t, f, args...); err != nil || out.String() != "mcpctl v1.2.3 (commit 0123456789ab)\n" {
			t.Errorf("%v: %v %q", args, err, out)
		}
	}
	f, _, _, _ := testFactory(t, t.TempDir())
	if err := execute(t, f, "-v"); !IsUsageError(err) {
		t.Errorf("-v: got %v, want a usage error", err)
	}
}
