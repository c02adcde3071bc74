package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDoctor runs `mcpctl doctor` as a user does, on a project `mcpctl init` made: clean
// (build and tests included) it exits 0; with one pitfall it exits 1 and says what to fix,
// once, on stdout; bad flags exit 2.
func TestDoctor(t *testing.T) {
	dir := initProject(t, "doctor-demo")

	out, errOut, code := mcpctl(t, dir, nil, "doctor")
	if code != 0 || errOut != "" || !strings.Contains(out, "OK no problems found") || !strings.Contains(out, "✓ test ") {
		t.Fatalf("clean project: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	if err := os.Chmod(filepath.Join(dir, ".env"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = mcpctl(t, dir, nil, "doctor", "--fast")
	if code != 1 || errOut != "" || strings.Count(out, "[env-mode]") != 1 || !strings.Contains(out, "fix: chmod 600 .env") {
		t.Errorf(".env 0644: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	out, _, code = mcpctl(t, filepath.Dir(dir), nil, "doctor", "--fast", "--json", "--dir", "doctor-demo")
	var report struct {
		SchemaVersion int  `json:"schema_version"`
		OK            bool `json:"ok"`
		Errors        int  `json:"errors"`
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil || code != 1 || report.SchemaVersion != 1 || report.OK || report.Errors != 1 {
		t.Errorf("--json: exit %d, %v\n%s", code, err, out)
	}

	if _, errOut, code = mcpctl(t, dir, nil, "doctor", "--dir", "nowhere"); code != 2 || !strings.Contains(errOut, "no such directory") {
		t.Errorf("--dir nowhere: exit %d\n%s", code, errOut)
	}
}
