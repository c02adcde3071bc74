package connect

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/tailscale/hujson"

	"github.com/mcpctl/mcpctl/bridge"
	"github.com/mcpctl/mcpctl/internal/mcpwire"
	"github.com/mcpctl/mcpctl/internal/testproject"
	"github.com/mcpctl/mcpctl/scaffold"
	"github.com/mcpctl/mcpctl/serverenv"
)

// The proof that a written config works: read the entry back with an independent parser,
// expand its variables the way that client does, and connect a go-sdk client to a real
// generated server that checks x-api-key, with the URL and headers that result.
// Claude Desktop's entry is a command: it is run (this test binary plays mcpctl).

const testKey = "mcpk_ZmFrZS1rZXktZm9yLXRlc3RzLW9ubHktMDEyMzQ1Njc"

// asMcpctl makes the test binary act as `mcpctl bridge …` when a Claude Desktop entry
// starts it, so the entry's exact command line is what gets tested.
const asMcpctl = "MCPCTL_CONNECT_TEST_AS_MCPCTL"

func TestMain(m *testing.M) {
	if os.Getenv(asMcpctl) == "1" {
		os.Exit(fakeMcpctl(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// fakeMcpctl is `mcpctl bridge URL [--key-env VAR] [--env-file PATH]` (cmd/bridge.go does
// the same with cobra).
func fakeMcpctl(args []string) int {
	if len(args) < 2 || args[0] != "bridge" {
		fmt.Fprintf(os.Stderr, "fake mcpctl: unexpected arguments %q\n", args)
		return 2
	}
	fs := flag.NewFlagSet("bridge", flag.ContinueOnError)
	keyEnv := fs.String("key-env", "", "")
	envFile := fs.String("env-file", "", "")
	if err := fs.Parse(args[2:]); err != nil {
		return 2
	}
	var header http.Header
	if *keyEnv != "" {
		k, err := serverenv.ResolveKey(serverenv.KeyRequest{Var: *keyEnv, FlagFile: *envFile, Getenv: os.Getenv})
		if err != nil || !k.Found() {
			fmt.Fprintln(os.Stderr, "no key", err)
			return 1
		}
		header = http.Header{}
		header.Set(bridge.APIKeyHeaderName, k.Value)
	}
	if err := bridge.Run(context.Background(), args[1], header, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// newKeyServer starts a real generated server (rendered from mcpctl's templates, built,
// run as a process) that accepts only testKey, and returns its MCP endpoint.
func newKeyServer(t *testing.T) string {
	t.Helper()
	proj := testproject.Build(t, scaffold.Project{Name: "connect-demo"})
	return proj.Start(t, "MCP_API_KEY="+testKey) + "/mcp"
}

func useSession(t *testing.T, ctx context.Context, transport mcp.Transport) {
	t.Helper()
	c := mcp.NewClient(&mcp.Implementation{Name: "connect-test", Version: "1.0.0"}, nil)
	cs, err := c.Connect(ctx, transport, nil)
	if err != nil {
		t.Fatalf("connecting with the written config: %v", err)
	}
	defer cs.Close()
	tools, err := cs.ListTools(ctx, nil)
	if err != nil || !slices.ContainsFunc(tools.Tools, func(tool *mcp.Tool) bool { return tool.Name == "say_hello" }) {
		t.Fatalf("tools/list: %v, %v", tools, err)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "say_hello", Arguments: map[string]any{"name": "Ada"}})
	if err != nil || res.IsError || res.Content[0].(*mcp.TextContent).Text != "Hello, Ada!" {
		t.Fatalf("tools/call: %+v, %v", res, err)
	}
}

func connectHTTP(t *testing.T, ctx context.Context, url string, headers map[string]string) {
	t.Helper()
	h := http.Header{}
	for k, v := range headers {
		h.Set(k, v)
	}
	useSession(t, ctx, &mcp.StreamableClientTransport{
		Endpoint:             url,
		HTTPClient:           &http.Client{Transport: mcpwire.WithHeader(nil, h)},
		MaxRetries:           -1,
		DisableStandaloneSSE: true,
	})
}

// readEntry parses the written file independently of the code that wrote it (standard
// JSON after stripping comments; BurntSushi's TOML decoder) and returns the entry and,
// for VS Code, the inputs.
func readEntry(t *testing.T, c Client, path string) (entry map[string]any, inputs []any) {
	t.Helper()
	data := read(t, path)
	var doc map[string]any
	if c == Codex {
		if _, err := toml.Decode(string(data), &doc); err != nil {
			t.Fatal(err)
		}
		return doc["mcp_servers"].(map[string]any)["demo"].(map[string]any), nil
	}
	std, err := hujson.Standardize(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(std, &doc); err != nil {
		t.Fatal(err)
	}
	key := "mcpServers"
	if c == VSCode {
		key = "servers"
		inputs, _ = doc["inputs"].([]any)
	}
	return doc[key].(map[string]any)["demo"].(map[string]any), inputs
}

var (
	envColonRE = regexp.MustCompile(`\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}`)
	braceRE    = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}`)
	geminiRE   = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)`)
	inputRE    = regexp.MustCompile(`\$\{input:([^}]+)\}`)
)

// expand resolves references the way client c does; anything it does not know stays
// literal (and then fails the key check, as it would in the client).
func expand(t *testing.T, c Client, s string, env map[string]string, inputs []any) string {
	t.Helper()
	switch c {
	case Cursor, Windsurf: // ${env:VAR}
		return envColonRE.ReplaceAllStringFunc(s, func(m string) string { return env[envColonRE.FindStringSubmatch(m)[1]] })
	case ClaudeCode: // ${VAR} and ${VAR:-default}; a bare $VAR is not expanded
		return braceRE.ReplaceAllStringFunc(s, func(m string) string {
			sm := braceRE.FindStringSubmatch(m)
			if v, ok := env[sm[1]]; ok && v != "" {
				return v
			}
			return sm[2]
		})
	case Gemini: // $VAR and ${VAR}
		return geminiRE.ReplaceAllStringFunc(s, func(m string) string {
			sm := geminiRE.FindStringSubmatch(m)
			return env[sm[1]+sm[2]]
		})
	case VSCode: // ${input:id}, prompting for a declared promptString; env is not expanded in headers
		return inputRE.ReplaceAllStringFunc(s, func(m string) string {
			id := inputRE.FindStringSubmatch(m)[1]
			for _, in := range inputs {
				in, _ := in.(map[string]any)
				if in["id"] == id {
					if in["type"] != "promptString" || in["password"] != true {
						t.Errorf("input %q is %v, want a promptString with password: true", id, in)
					}
					return env["MCP_API_KEY"] // what the user pastes when prompted
				}
			}
			t.Errorf("no input %q declared", id)
			return m
		})
	}
	return s
}

func stringMap(v any) map[string]string {
	out := map[string]string{}
	m, _ := v.(map[string]any)
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

func stringSlice(v any) []string {
	var out []string
	for _, a := range v.([]any) {
		out = append(out, a.(string))
	}
	return out
}

func TestWrittenConfigsConnect(t *testing.T) {
	t.Parallel()
	url := newKeyServer(t)
	env := map[string]string{"MCP_API_KEY": testKey}
	for _, cs := range fileClients() {
		if cs.client == ClaudeDesktop {
			continue // TestClaudeDesktopEntriesRun
		}
		t.Run(string(cs.client)+"/"+string(cs.scope), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			f := newFixture(t)
			r := f.req(cs.client)
			r.Scope, r.URL = cs.scope, url
			res := apply(t, r)
			entry, inputs := readEntry(t, cs.client, res.Path)

			var target string
			headers := map[string]string{}
			switch cs.client {
			case Windsurf:
				target = entry["serverUrl"].(string)
			default:
				target = entry["url"].(string)
			}
			if cs.client == Codex {
				// env_http_headers maps a header to the NAME of a variable.
				for h, name := range stringMap(entry["env_http_headers"]) {
					headers[h] = env[name]
				}
			} else {
				if typ, ok := entry["type"]; ok && typ != "http" {
					t.Errorf("type = %v", typ)
				}
				for h, v := range stringMap(entry["headers"]) {
					headers[h] = expand(t, cs.client, v, env, inputs)
				}
			}
			connectHTTP(t, ctx, expand(t, cs.client, target, env, inputs), headers)

			// The same entry with the variable unset must not get in: the config holds a
			// reference, not the key.
			if cs.client != VSCode {
				empty := map[string]string{}
				for h, v := range stringMap(entry["headers"]) {
					empty[h] = expand(t, cs.client, v, map[string]string{}, inputs)
				}
				for h, name := range stringMap(entry["env_http_headers"]) {
					empty[h] = map[string]string{}[name]
				}
				for _, v := range empty {
					if v == testKey {
						t.Error("the key resolves without the variable: it is in the file")
					}
				}
			}
		})
	}
}

// TestClaudeDesktopEntriesRun starts the command a Claude Desktop entry names, with the
// entry's env only (Claude Desktop gives servers a bare environment), and talks MCP to it
// over stdio.
func TestClaudeDesktopEntriesRun(t *testing.T) {
	t.Parallel()
	url := newKeyServer(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}

	t.Run("bridge", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		f := newFixture(t)
		envFile := filepath.Join(f.proj, ".env")
		writeFile(t, envFile, "# secrets\nMCP_API_KEY="+testKey+"\n", 0o600)
		r := f.req(ClaudeDesktop)
		r.URL, r.Command, r.EnvFile = url, self, envFile
		res := apply(t, r)
		if strings.Contains(string(read(t, res.Path)), testKey) {
			t.Fatal("the bridge entry holds the key")
		}
		entry, _ := readEntry(t, ClaudeDesktop, res.Path)
		cmd := exec.Command(entry["command"].(string), stringSlice(entry["args"])...)
		cmd.Env = []string{asMcpctl + "=1"} // no MCP_API_KEY: it must come from the .env
		for k, v := range stringMap(entry["env"]) {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		cmd.Stderr = os.Stderr
		useSession(t, ctx, &mcp.CommandTransport{Command: cmd})
	})

	t.Run("mcp-remote", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		f := newFixture(t)
		r := f.req(ClaudeDesktop)
		r.URL, r.Via, r.APIKey = url, ViaMCPRemote, testKey
		res := apply(t, r)
		entry, _ := readEntry(t, ClaudeDesktop, res.Path)
		if entry["command"] != "npx" {
			t.Fatalf("command = %v", entry["command"])
		}
		// What mcp-remote does with its arguments: the URL after the package name, each
		// --header NAME:VALUE with ${VAR} expanded from its environment (the entry's env).
		args := stringSlice(entry["args"])
		if len(args) < 3 || args[0] != "-y" || args[1] != "mcp-remote" {
			t.Fatalf("args = %q", args)
		}
		entryEnv := stringMap(entry["env"])
		headers := map[string]string{}
		for i := 3; i < len(args); i++ {
			if args[i] == "--header" && i+1 < len(args) {
				name, value, ok := strings.Cut(args[i+1], ":")
				if !ok || strings.Contains(args[i+1], " ") {
					t.Fatalf("header argument %q: want NAME:VALUE without spaces", args[i+1])
				}
				headers[name] = braceRE.ReplaceAllStringFunc(value, func(m string) string { return entryEnv[braceRE.FindStringSubmatch(m)[1]] })
				i++
			}
		}
		connectHTTP(t, ctx, args[2], headers)
	})
}
