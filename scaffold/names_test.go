package scaffold

import (
	"os/exec"
	"strings"
	"testing"
)

func TestSuggestName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"My App!":                "my-app",
		"MyApp":                  "myapp",
		"weather":                "weather",
		"  __x__ ":               "",
		"x":                      "",
		"2fast 2furious":         "fast-2furious",
		"Über Server":            "ber-server",
		strings.Repeat("ab", 20): strings.Repeat("ab", 15),
	} {
		if got := SuggestName(in); got != want {
			t.Errorf("SuggestName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := SuggestModule("My App!"); got != "github.com/you/my-app" {
		t.Errorf("SuggestModule = %q", got)
	}
}

// The errors for a directory called "My App!" suggest a valid name and module, never the
// invalid "github.com/you/My App!".
func TestValidateSuggestsValidNames(t *testing.T) {
	t.Parallel()
	p := Project{Name: "My App!", Module: "My App!", Path: "/mcp", Port: 8000, Auth: "apikey"}
	err := p.Validate()
	if err == nil || !strings.Contains(err.Error(), `"my-app"`) || !strings.Contains(err.Error(), "github.com/you/my-app") ||
		strings.Contains(err.Error(), "github.com/you/My App!") {
		t.Fatalf("Validate: %v", err)
	}
	p.Name, p.Module = "MyApp", "MyApp"
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), `"myapp"`) {
		t.Fatalf("Validate: %v", err)
	}
}

// The backups `mcpctl connect` keeps (FILE.bak) stay out of git, so a deploy's `git add
// --all` never commits them; the client configs themselves are the user's to commit.
func TestGitIgnoreCoversConnectBackups(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	p := Project{Dir: dir, Name: "weather", Module: "github.com/you/weather", Path: "/mcp", Port: 8000, Auth: "apikey", Stateless: true}
	plan, _, err := p.Plan()
	if err != nil {
		t.Fatal(err)
	}
	if err := Apply(dir, plan); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("git", "-C", dir, "init", "--quiet").CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	ignored := func(path string) bool {
		return exec.Command("git", "-C", dir, "check-ignore", "--quiet", "--no-index", path).Run() == nil
	}
	for _, bak := range []string{".cursor/mcp.json.bak", ".mcp.json.bak", ".vscode/mcp.json.bak", ".gemini/settings.json.bak"} {
		if !ignored(bak) {
			t.Errorf("%s is not git-ignored", bak)
		}
	}
	if ignored(".cursor/mcp.json") {
		t.Error(".cursor/mcp.json is ignored; it is the user's to commit")
	}
}
