package doctor

import (
	"strings"
	"testing"

	"github.com/mcpctl/mcpctl/scaffold"
)

const forecastGo = `package tools

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

var forecastTool = &mcp.Tool{
	Name:        "forecast",
	Description: "Tomorrow's weather.",
}

type forecastInput struct {
	City string ` + "`json:\"city\"`" + `
}

func forecast(ctx context.Context, req *mcp.CallToolRequest, in forecastInput) (*mcp.CallToolResult, any, error) {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "sunny in " + in.City}}}, nil, nil
}
`

// A tool file added to a generated project but not registered in tools/tools.go is
// reported with its place and the line to add; once registered, it is not.
func TestUnregisteredToolIsReported(t *testing.T) {
	t.Parallel()
	for name, p := range map[string]scaffold.Project{
		"apikey": {Stateless: true},
		"oauth":  {Stateless: true, Auth: "oauth", Issuer: "https://auth.example.com/"},
	} {
		t.Run(name, func(t *testing.T) {
			dir, _ := generate(t, p, false)
			if r := run(t, dir, true); r.Has(IDToolUnregistered) {
				t.Fatalf("the generated tools are reported:\n%s", dump(r))
			}
			write(t, dir, "tools/forecast.go", forecastGo)
			r := run(t, dir, true)
			f := wantFinding(t, r, IDToolUnregistered, SeverityWarning)
			wantOnly(t, r, IDToolUnregistered)
			if f.File != "tools/forecast.go" || f.Line != 9 {
				t.Errorf("at %s:%d, want tools/forecast.go:9", f.File, f.Line)
			}
			if !strings.Contains(f.Title, "forecastTool") || !strings.Contains(f.Title, "forecast ") {
				t.Errorf("title %q should name the tool and its handler", f.Title)
			}
			if want := "add mcp.AddTool(s, forecastTool, forecast) in Register (tools/tools.go)"; f.Fix != want {
				t.Errorf("fix %q, want %q", f.Fix, want)
			}
			if got := UnregisteredTools(dir); len(got) != 1 || !strings.HasPrefix(got[0], "tools/forecast.go:9: ") || !strings.Contains(got[0], f.Fix) {
				t.Errorf("dev's notices %q", got)
			}

			edit(t, dir, "tools/tools.go", "func Register(s *mcp.Server) {\n", "func Register(s *mcp.Server) {\n\tmcp.AddTool(s, forecastTool, forecast)\n")
			if r := run(t, dir, true); r.Has(IDToolUnregistered) {
				t.Errorf("a registered tool is reported:\n%s", dump(r))
			}
			if got := UnregisteredTools(dir); len(got) != 0 {
				t.Errorf("dev's notices for a registered tool: %q", got)
			}
		})
	}
}

// The shapes of tool code the check recognises without type information, and the code
// it must leave alone.
func TestUnregisteredToolShapes(t *testing.T) {
	t.Parallel()
	const header = "package tools\n\nimport (\n\t\"context\"\n\n\tsdk \"github.com/modelcontextprotocol/go-sdk/mcp\"\n)\n\n"
	const register = "package tools\n\nimport \"github.com/modelcontextprotocol/go-sdk/mcp\"\n\nfunc Register(srv *mcp.Server) {\n\tmcp.AddTool(srv, usedTool, used)\n}\n"
	for _, tc := range []struct {
		name, src string
		want      []string // substrings, one per notice, in order
	}{
		{"registered elsewhere", "var usedTool = &sdk.Tool{Name: \"used\"}\n\nfunc used(ctx context.Context, req *sdk.CallToolRequest, in struct{}) (*sdk.CallToolResult, any, error) {\n\treturn nil, nil, nil\n}\n", nil},
		{"handler only", "func lonely(ctx context.Context, req *sdk.CallToolRequest, in struct{}) (*sdk.CallToolResult, any, error) {\n\treturn nil, nil, nil\n}\n",
			[]string{"x.go:9: tool handler lonely is never registered: add mcp.AddTool(srv, <its *mcp.Tool>, lonely) in Register (tools/register.go)"}},
		{"tool function", "func lonelyTool() *sdk.Tool { return &sdk.Tool{Name: \"lonely\"} }\n",
			[]string{"tool lonelyTool() is never registered"}},
		{"typed var and value", "var a *sdk.Tool\n\nvar b = sdk.Tool{Name: \"b\"}\n",
			[]string{"x.go:9: tool a is never registered", "x.go:11: tool b is never registered"}},
		{"raw handler", "func raw(ctx context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {\n\treturn nil, nil\n}\n",
			[]string{"add srv.AddTool(<its *mcp.Tool>, raw)"}},
		{"method handler", "type svc struct{}\n\nfunc (s *svc) lookup(ctx context.Context, req *sdk.CallToolRequest, in struct{}) (*sdk.CallToolResult, any, error) {\n\treturn nil, nil, nil\n}\n",
			[]string{"tool handler <value>.lookup is never registered"}},
		{"not handlers", "func helper(ctx context.Context, n int) (int, error) { return n, nil }\n\nfunc result() *sdk.CallToolResult { return nil }\n\nvar names = []string{\"x\"}\n", nil},
		{"referenced from a table", "var t1 = &sdk.Tool{Name: \"t1\"}\n\nvar all = []*sdk.Tool{t1}\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "tools/register.go", register)
			write(t, dir, "tools/used.go", "package tools\n\nimport (\n\t\"context\"\n\n\t\"github.com/modelcontextprotocol/go-sdk/mcp\"\n)\n\nvar usedTool = &mcp.Tool{Name: \"used\"}\n\nfunc used(ctx context.Context, req *mcp.CallToolRequest, in struct{}) (*mcp.CallToolResult, any, error) {\n\treturn nil, nil, nil\n}\n")
			if tc.name != "registered elsewhere" {
				write(t, dir, "tools/x.go", header+tc.src)
			}
			// Only a test refers to it: still not registered. A file that does not
			// parse is the build's business.
			write(t, dir, "tools/x_test.go", "package tools\n\nvar _ = lonely\n")
			write(t, dir, "tools/broken.go", "package tools\n\nfunc {\n")
			got := UnregisteredTools(dir)
			if len(got) != len(tc.want) {
				t.Fatalf("notices %q, want %d", got, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("notice %q does not contain %q", got[i], w)
				}
			}
		})
	}
}
