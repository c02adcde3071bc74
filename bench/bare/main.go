// Command bare is the yardstick of mcpctl's benchmark: a go-sdk server with the tools of
// the generated project (API key variant: say_hello, long_task, get_weather; same names,
// descriptions and schemas) and nothing else (no auth, logging, body cap, CORS or
// keep-alive). Only say_hello is called; the others are registered because every
// registered tool's schemas stay on the heap that each collection marks, and they are the
// user's tools, not a layer of the generated server. The benchmark checks that both
// servers list the same tools. MCP_LISTEN_ADDR picks the address, MCP_STATELESS=false the
// stateful mode.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type helloInput struct {
	Name string `json:"name" jsonschema:"the name of the person to greet"`
}

func sayHello(_ context.Context, _ *mcp.CallToolRequest, in helloInput) (*mcp.CallToolResult, any, error) {
	name := strings.TrimSpace(in.Name)
	if name == "" {
		return nil, nil, errors.New("name must not be empty")
	}
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "Hello, " + name + "!"}}}, nil, nil
}

type longTaskInput struct {
	Seconds float64 `json:"seconds" jsonschema:"how long to work, in seconds (at most 600)"`
}

type weatherInput struct {
	Location string `json:"location" jsonschema:"a place name, such as Berlin or San Francisco"`
	Units    string `json:"units,omitempty" jsonschema:"temperature units"`
}

type weatherOutput struct {
	Location    string  `json:"location" jsonschema:"the place the weather is for, as resolved"`
	Temperature float64 `json:"temperature" jsonschema:"current air temperature at 2 m"`
	Units       string  `json:"units" jsonschema:"celsius or fahrenheit"`
	Conditions  string  `json:"conditions" jsonschema:"current conditions in words"`
}

var errNotHere = errors.New("not served by the benchmark's bare server")

func longTask(context.Context, *mcp.CallToolRequest, longTaskInput) (*mcp.CallToolResult, any, error) {
	return nil, nil, errNotHere
}

func getWeather(context.Context, *mcp.CallToolRequest, weatherInput) (*mcp.CallToolResult, weatherOutput, error) {
	return nil, weatherOutput{}, errNotHere
}

func weatherTool() *mcp.Tool {
	in, err := jsonschema.For[weatherInput](nil)
	if err != nil {
		panic(err)
	}
	units := in.Properties["units"]
	units.Enum = []any{"celsius", "fahrenheit"}
	units.Default = json.RawMessage(`"celsius"`)
	yes := true
	return &mcp.Tool{
		Name:        "get_weather",
		Description: "Get the current weather for a place.",
		InputSchema: in,
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: &yes},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	addr := os.Getenv("MCP_LISTEN_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8000"
	}
	s := mcp.NewServer(&mcp.Implementation{Name: "bare", Version: "1.0.0"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "say_hello", Description: "Greet someone by name."}, sayHello)
	mcp.AddTool(s, &mcp.Tool{
		Name:        "long_task",
		Description: "Work for the given number of seconds, reporting progress every second. An example of a long tool; replace it with your own.",
	}, longTask)
	mcp.AddTool(s, weatherTool(), getWeather)
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s },
		&mcp.StreamableHTTPOptions{Stateless: os.Getenv("MCP_STATELESS") != "false"})
	mux := http.NewServeMux()
	mux.Handle("/mcp", h)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "bare:", err)
		os.Exit(1)
	}
}
