package scaffold

import (
	"strings"
	"testing"
)

// What a generated project points its user to must be there for a `go install` user
// (who has no mcpctl checkout), and the layout table must list every tool file.
func TestGeneratedDocsPointWhereUsersCanLook(t *testing.T) {
	t.Parallel()
	for _, auth := range []string{"apikey", "oauth"} {
		p := Project{Name: "weather", Module: "example.com/weather", Path: "/mcp", Port: 8000, Auth: auth, Stateless: true, Dir: t.TempDir()}
		if auth == "oauth" {
			p.Issuer = "https://id.example.com/"
		}
		plan, _, err := p.Plan()
		if err != nil {
			t.Fatal(err)
		}
		files := map[string]string{}
		for _, f := range plan.Files {
			files[f.Path] = string(f.Data)
		}
		if !strings.Contains(files["mcpctl.toml"], "https://github.com/mcpctl/mcpctl/blob/main/mcpctl.toml.example") {
			t.Errorf("%s: mcpctl.toml does not link the documentation of its keys:\n%s", auth, files["mcpctl.toml"][:200])
		}
		for name := range files {
			if strings.HasPrefix(name, "tools/") && !strings.HasSuffix(name, "_test.go") && name != "tools/tools.go" {
				base := strings.TrimPrefix(name, "tools/")
				if !strings.Contains(files["README.md"], "`"+base+"`") {
					t.Errorf("%s: README's layout table does not mention %s", auth, name)
				}
			}
		}
	}
}
