package scaffold

import (
	"strings"
	"testing"
)

func TestSuggestName(t *testing.T) {
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
