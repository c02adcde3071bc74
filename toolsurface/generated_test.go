package toolsurface

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpctl/mcpctl/internal/testproject"
	"github.com/mcpctl/mcpctl/scaffold"
)

func names(tools []Tool) []string {
	var out []string
	for _, t := range tools {
		out = append(out, t.Name)
	}
	return out
}

// A generated project's tools, listed by building and starting it (stateless server,
// 2026-07-28) and by fetching them from a running stateful one (2025-11-25), compare equal;
// a breaking edit of say_hello is classified as such.
func TestLocalAndFetchOnAGeneratedProject(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds a generated project")
	}
	ctx := context.Background()
	p := testproject.Build(t, scaffold.Project{Name: "surf", Auth: "apikey", Stateless: true})
	local, err := Local(ctx, LocalOptions{Dir: p.Dir, Package: "./cmd/surf"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names(local), ","); !strings.Contains(got, "say_hello") || !strings.Contains(got, "get_weather") {
		t.Fatalf("local tools %s", got)
	}

	stateful := testproject.Build(t, scaffold.Project{Name: "surf2", Auth: "apikey", Stateless: false})
	base := stateful.Start(t, "MCP_API_KEY="+stateful.Key, "MCP_STATELESS=false")
	if _, err := Fetch(ctx, base+"/mcp", nil, nil); err == nil {
		t.Fatal("listing without the key worked")
	}
	remote, err := Fetch(ctx, base+"/mcp", http.Header{"X-Api-Key": {stateful.Key}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := Compare(remote, local); !d.Empty() {
		t.Fatalf("the same template lists different tools:\n%s", strings.Join(d.Lines(), "\n"))
	}

	hello := filepath.Join(p.Dir, "tools", "hello.go")
	src, _ := os.ReadFile(hello)
	edited := strings.Replace(string(src), "`json:\"name\" ", "`json:\"who\" ", 1)
	if err := os.WriteFile(hello, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	after, err := Local(ctx, LocalOptions{Dir: p.Dir, Package: "./cmd/surf"})
	if err != nil {
		t.Fatal(err)
	}
	d := Compare(local, after)
	if !d.Breaking || strings.Join(d.Changed, ",") != "say_hello" {
		t.Fatalf("renaming an argument: %s\n%s", d.Summary(), strings.Join(d.Lines(), "\n"))
	}

	// A project that does not build says so.
	os.WriteFile(hello, []byte("package tools\n\nfunc broken( {\n"), 0o644)
	if _, err := Local(ctx, LocalOptions{Dir: p.Dir, Package: "./cmd/surf"}); err == nil || !strings.Contains(err.Error(), "building") {
		t.Fatalf("broken project: %v", err)
	}
}
