package toolsurface

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/mcpctl/mcpctl/internal/mcpwire"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Fetch lists the tools of the MCP endpoint at url as a client does: initialize, then
// tools/list (every page). header is sent with every request (credentials).
func Fetch(ctx context.Context, url string, header http.Header, client *http.Client) ([]Tool, error) {
	if client == nil {
		client = &http.Client{}
	}
	hc := *client
	hc.Transport = mcpwire.WithHeader(hc.Transport, header)
	c := mcp.NewClient(&mcp.Implementation{Name: "mcpctl-diff", Version: "dev"}, nil)
	cs, err := c.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: url, HTTPClient: &hc, MaxRetries: 1, DisableStandaloneSSE: true}, nil)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", url, err)
	}
	defer cs.Close()
	var tools []Tool
	for t, err := range cs.Tools(ctx, nil) {
		if err != nil {
			return nil, fmt.Errorf("listing the tools of %s: %w", url, err)
		}
		tool, err := FromMCP(t)
		if err != nil {
			return nil, err
		}
		tools = append(tools, tool)
	}
	return tools, nil
}

// FromMCP converts a tool as go-sdk decoded it.
func FromMCP(t *mcp.Tool) (Tool, error) {
	b, err := json.Marshal(t)
	if err != nil {
		return Tool{}, err
	}
	var out Tool
	err = json.Unmarshal(b, &out)
	return out, err
}

// ReadFile reads a saved tool list: a tools/list result ({"tools": [...]}), a JSON-RPC
// response carrying one, or a bare array of tools.
func ReadFile(path string) ([]Tool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	tools, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return tools, nil
}

// Parse decodes the forms ReadFile accepts.
func Parse(data []byte) ([]Tool, error) {
	var arr []Tool
	if strings.HasPrefix(strings.TrimSpace(string(data)), "[") {
		if err := json.Unmarshal(data, &arr); err != nil {
			return nil, fmt.Errorf("not a list of tools: %w", err)
		}
		return checkNames(arr)
	}
	var doc struct {
		Tools  *[]Tool `json:"tools"`
		Result *struct {
			Tools *[]Tool `json:"tools"`
		} `json:"result"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	switch {
	case doc.Tools != nil:
		return checkNames(*doc.Tools)
	case doc.Result != nil && doc.Result.Tools != nil:
		return checkNames(*doc.Result.Tools)
	}
	return nil, errors.New(`no tools in it: want a tools/list result ({"tools": [...]}) or a list of tools`)
}

func checkNames(tools []Tool) ([]Tool, error) {
	seen := map[string]bool{}
	for i, t := range tools {
		if t.Name == "" {
			return nil, fmt.Errorf("tool %d has no name", i+1)
		}
		if seen[t.Name] {
			return nil, fmt.Errorf("tool %q is listed twice", t.Name)
		}
		seen[t.Name] = true
	}
	return tools, nil
}
