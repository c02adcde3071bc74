package e2e

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestBridgeToGeneratedServer drives `mcpctl bridge` with a go-sdk stdio client against a
// generated server, as Claude Desktop does: a bare environment, the key from .env.
func TestBridgeToGeneratedServer(t *testing.T) {
	dir := initProject(t, "bridge-demo")
	run(t, dir, "go", "build", "-o", "bin/", "./...")
	key := dotenv(t, dir)["MCP_API_KEY"]
	srv := startServer(t, dir, "MCP_API_KEY="+key)

	cmd := exec.Command(mcpctlBin, "bridge", srv.url+"/mcp", "--key-env", "MCP_API_KEY", "--env-file", filepath.Join(dir, ".env"))
	cmd.Env = []string{} // what Claude Desktop gives a server: nothing of the user's shell
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "stdio-client", Version: "0"}, nil).Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("connecting through the bridge: %v\n%s", err, srv.stderr.String())
	}
	defer cs.Close()
	if cs.InitializeResult().ServerInfo.Name != "bridge-demo" {
		t.Errorf("server info %+v", cs.InitializeResult().ServerInfo)
	}
	// The template's tool set grows; the bridge must pass through whatever the server lists.
	if names := toolNames(t, cs); !names["say_hello"] || !names["get_weather"] {
		t.Fatalf("tools/list through the bridge lacks the template's tools: %v", names)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "say_hello", Arguments: map[string]any{"name": "Lin"}})
	if err != nil || res.IsError || res.Content[0].(*mcp.TextContent).Text != "Hello, Lin!" {
		t.Fatalf("tools/call through the bridge: %+v %v", res, err)
	}
}
