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
	t.Parallel()
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

	t.Run("long call: progress and first byte", func(t *testing.T) {
		for _, stateless := range []string{"true", "false"} {
			base := proj.Start(t, "MCP_API_KEY="+key, "MCP_STATELESS="+stateless, "MCP_STREAM_FIRST_BYTE=100ms")
			o := testOptions(base+"/mcp", newFakeClock())
			o.Key = key
			o.Call = &ToolCall{Name: "long_task", Args: json.RawMessage(`{"seconds":1.5}`)}
			var seen []Progress
			o.OnProgress = func(p Progress) { seen = append(seen, p) }
			r := run(t, o)
			if !r.OK {
				t.Fatalf("stateless=%s: not OK: %s", stateless, r.Summary)
			}
			tc := r.ToolCall
			if len(seen) == 0 || tc.Progress != len(seen) || seen[0].Total != 1.5 || seen[0].Progress != 1 {
				t.Errorf("stateless=%s: progress %+v, report %+v", stateless, seen, tc)
			}
			// The stream was committed before the result: the first byte came first.
			if tc.FirstByteMS >= tc.ResultMS {
				t.Errorf("stateless=%s: first byte %dms, result %dms", stateless, tc.FirstByteMS, tc.ResultMS)
			}
			if s := wantStep(t, r, StepToolsCall, StatusPass); !strings.Contains(s.Detail, "first byte") {
				t.Errorf("step detail %q", s.Detail)
			}
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
