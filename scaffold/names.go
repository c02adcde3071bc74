package scaffold

import (
	"strings"

	"golang.org/x/mod/module"

	"github.com/mcpctl/mcpctl/config"
)

// SuggestName turns s (a directory name such as "My App!" or "MyApp") into a valid project
// name ("my-app", "myapp"), or returns "" when nothing sensible is left.
func SuggestName(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
	}
	name := strings.TrimLeft(b.String(), "0123456789-")
	if len(name) > 30 {
		name = strings.TrimRight(name[:30], "-")
	}
	if config.CheckName(name) != nil {
		return ""
	}
	return name
}

// SuggestModule is an example module path for a project called name; "" when the name
// offers none.
func SuggestModule(name string) string {
	if config.CheckName(name) != nil {
		name = SuggestName(name)
	}
	if name == "" {
		return ""
	}
	m := "github.com/you/" + name
	if module.CheckImportPath(m) != nil {
		return ""
	}
	return m
}
