package probe

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/mcpctl/mcpctl/internal/testproject"
	"github.com/mcpctl/mcpctl/keys"
	"github.com/mcpctl/mcpctl/scaffold"
)

// TestGeneratedServer checks a server exactly as `mcpctl init` generates it: rendered
// from the templates, built with the go command, started as its own process.
func TestGeneratedServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a generated project")
	}
	proj := testproject.Build(t, scaffold.Project{Name: "checkme", Auth: "apikey", Stateless: true})
	key := proj.Key

	t.Run("stateless", func(t *testing.T) {
		base := proj.Start(t, "MCP_API_KEY="+key)
		o := testOptions(base+"/mcp", newFakeClock())
		o.Key = key
		o.Call = &ToolCall{Name: "say_hello", Args: json.RawMessage(`{"name":"Grace"}`)}
		r := run(t, o)
		if !r.OK {
			t.Fatalf("not OK: %s", r.Summary)
		}
		if r.Server.Name != "checkme" || !r.Server.Stateless || r.Auth.Mode != "apikey" {
			t.Errorf("server %+v, auth %+v", r.Server, r.Auth)
		}
		if tools := slices.Sorted(slices.Values(r.Tools)); strings.Join(tools, ",") != "get_weather,long_task,say_hello" {
			t.Errorf("tools %v", r.Tools)
		}
		if r.ToolCall.Text != "Hello, Grace!" {
			t.Errorf("tool call %+v", r.ToolCall)
		}

		o.Call = nil
		o.Key = "mcpk_" + strings.Repeat("A", 43)
		wantFailure(t, run(t, o), ClassAuth, ExitAuth)

		o.Key = ""
		wantFailure(t, run(t, o), ClassAuth, ExitAuth)

		o.Key, o.URL = key, base
		r = run(t, o)
		wantFailure(t, r, ClassWrongURL, ExitWrongURL)
		wantStep(t, r, StepToolsList, StatusPass)
	})

	t.Run("stateful", func(t *testing.T) {
		base := proj.Start(t, "MCP_API_KEY="+key, "MCP_STATELESS=false")
		o := testOptions(base+"/mcp", newFakeClock())
		o.Key = key
		r := run(t, o)
		if !r.OK {
			t.Fatalf("not OK: %s", r.Summary)
		}
		if r.Server.Stateless || r.Server.SessionID == "" {
			t.Errorf("server %+v, want a session", r.Server)
		}
	})

	t.Run("hash only", func(t *testing.T) {
		// What the platform holds after `mcpctl deploy`: the key's hash, never the key.
		base := proj.Start(t, "MCP_API_KEY_HASHES="+keys.Hash(key))
		o := testOptions(base+"/mcp", newFakeClock())
		o.Key = key
		if r := run(t, o); !r.OK {
			t.Fatalf("not OK: %s", r.Summary)
		}
	})
}
