package e2e

import (
	"bufio"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A tool with a nested object, an array and an enum: what the playground's forms must handle.
const planTripGo = `package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type tripDestination struct {
	City   string ` + "`json:\"city\" jsonschema:\"where to go\"`" + `
	Nights int    ` + "`json:\"nights\" jsonschema:\"how many nights\"`" + `
}

type tripInput struct {
	Destination tripDestination ` + "`json:\"destination\"`" + `
	Mode        string          ` + "`json:\"mode\" jsonschema:\"how to travel\"`" + `
	Stops       []string        ` + "`json:\"stops,omitempty\" jsonschema:\"places on the way\"`" + `
}

type tripOutput struct {
	Summary string ` + "`json:\"summary\"`" + `
}

func planTripTool() *mcp.Tool {
	in, err := jsonschema.For[tripInput](nil)
	if err != nil {
		panic(err)
	}
	in.Properties["mode"].Enum = []any{"train", "plane"}
	return &mcp.Tool{Name: "plan_trip", Title: "Plan a trip", Description: "Plan a trip with stops.", InputSchema: in}
}

func planTrip(ctx context.Context, req *mcp.CallToolRequest, in tripInput) (*mcp.CallToolResult, tripOutput, error) {
	s := fmt.Sprintf("%d nights in %s by %s", in.Destination.Nights, in.Destination.City, in.Mode)
	if len(in.Stops) > 0 {
		s += " via " + strings.Join(in.Stops, ", ")
	}
	return nil, tripOutput{Summary: s}, nil
}
`

// browser finds what the browser test needs: Chromium, node and playwright-core
// (npm ci --prefix playground/browsertest). Missing, the test is skipped, or fails when
// MCPCTL_E2E_REQUIRE_BROWSER=1 (CI).
func browser(t *testing.T) (chromium, node string) {
	t.Helper()
	missing := func(what string) {
		if os.Getenv("MCPCTL_E2E_REQUIRE_BROWSER") == "1" {
			t.Fatalf("the browser test needs %s (MCPCTL_E2E_REQUIRE_BROWSER=1)", what)
		}
		t.Skipf("the browser test needs %s", what)
	}
	chromium = os.Getenv("MCPCTL_CHROMIUM")
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if chromium != "" {
			break
		}
		chromium, _ = exec.LookPath(name)
	}
	if chromium == "" {
		missing("Chromium (apt-get install chromium, or MCPCTL_CHROMIUM=/path)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node")
	}
	if _, err := os.Stat("../playground/browsertest/node_modules/playwright-core"); err != nil {
		missing("playwright-core (npm ci --prefix playground/browsertest)")
	}
	return chromium, node
}

// devLines runs `mcpctl dev --no-tui` in dir and delivers its stderr line by line.
type devLines struct {
	lines chan string
	log   syncBuffer
}

func (d *devLines) wait(t *testing.T, what string, match func(string) bool) string {
	t.Helper()
	timeout := time.After(3 * time.Minute)
	for {
		select {
		case l, ok := <-d.lines:
			if !ok {
				t.Fatalf("mcpctl dev ended before %s:\n%s", what, d.log.String())
			}
			if match(l) {
				return l
			}
		case <-timeout:
			t.Fatalf("no %s from mcpctl dev:\n%s", what, d.log.String())
		}
	}
}

func startDev(t *testing.T, dir string, port int) *devLines {
	t.Helper()
	c := exec.Command(mcpctlBin, "dev", "--no-tui", "--port", strconv.Itoa(port))
	c.Dir = dir
	c.Env = append(os.Environ(), "NO_COLOR=1")
	stderr, err := c.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	d := &devLines{lines: make(chan string, 1024)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(d.lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			d.log.Write([]byte(sc.Text() + "\n"))
			select {
			case d.lines <- sc.Text():
			default: // nobody waits for it: the log keeps it
			}
		}
	}()
	t.Cleanup(func() {
		_ = c.Process.Signal(syscall.SIGTERM)
		<-done
		_ = c.Wait()
	})
	return d
}

// The playground of `mcpctl dev`, driven in headless Chromium: open the printed link, call
// say_hello through its form, fill a nested-object form, and see a reload with a breaking
// change arrive without reloading the page. Requests without the token or from another
// origin are refused. `mcpctl add tool` while dev runs shows up as a new tool.
func TestPlaygroundInABrowser(t *testing.T) {
	chromium, node := browser(t)
	dir := initProject(t, "play-demo")
	if err := os.WriteFile(filepath.Join(dir, "tools", "plan_trip.go"), []byte(planTripGo), 0o644); err != nil {
		t.Fatal(err)
	}
	registry := filepath.Join(dir, "tools", "tools.go")
	src, _ := os.ReadFile(registry)
	edited := strings.Replace(string(src), "\tmcp.AddTool(s, helloTool, sayHello)\n", "\tmcp.AddTool(s, helloTool, sayHello)\n\tmcp.AddTool(s, planTripTool(), planTrip)\n", 1)
	if edited == string(src) {
		t.Fatalf("no say_hello registration in tools.go:\n%s", src)
	}
	os.WriteFile(registry, []byte(edited), 0o644)

	port := freePort(t)
	dev := startDev(t, dir, port)
	link := strings.TrimSpace(strings.SplitN(dev.wait(t, "the playground link", func(l string) bool { return strings.Contains(l, "playground: ") }), "playground: ", 2)[1])
	dev.wait(t, "the first tool list", func(l string) bool { return strings.Contains(l, "offers") })

	base := "http://127.0.0.1:" + strconv.Itoa(port) + "/_mcpctl/"
	for _, tc := range []struct {
		name, method, url, origin string
	}{
		{"no token", "GET", base, ""},
		{"no token on the API", "GET", base + "api/state", ""},
		{"foreign origin", "GET", link, "http://evil.example"},
		{"foreign origin calling a tool", "POST", strings.Replace(link, "/_mcpctl/?", "/_mcpctl/api/call?", 1), "http://evil.example"},
	} {
		req, _ := http.NewRequest(tc.method, tc.url, strings.NewReader(`{"tool":"say_hello","arguments":{"name":"x"}}`))
		req.Header.Set("Content-Type", "application/json")
		if tc.origin != "" {
			req.Header.Set("Origin", tc.origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s: %s %v", tc.name, resp.Status, resp.Header)
		}
	}

	// add tool while dev runs: the reload lists it.
	if out, errOut, code := mcpctl(t, dir, nil, "add", "tool", "make_note"); code != 0 {
		t.Fatalf("add tool exited %d:\n%s\n%s", code, out, errOut)
	}
	dev.wait(t, "the added tool", func(l string) bool { return strings.Contains(l, "+ make_note: new tool") })

	shot := filepath.Join(t.TempDir(), "playground.png")
	if os.Getenv("MCPCTL_UPDATE_SCREENSHOT") == "1" {
		shot, _ = filepath.Abs("../docs/playground.png")
		os.MkdirAll(filepath.Dir(shot), 0o755)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	drive := exec.CommandContext(ctx, node, "drive.mjs")
	drive.Dir = "../playground/browsertest"
	drive.Env = append(os.Environ(), "PLAYGROUND_URL="+link, "PROJECT_DIR="+dir, "CHROMIUM="+chromium, "SCREENSHOT="+shot)
	if out, err := drive.CombinedOutput(); err != nil {
		t.Fatalf("browser test: %v\n%s\nmcpctl dev:\n%s", err, out, dev.log.String())
	}
	dev.wait(t, "the breaking change", func(l string) bool {
		return strings.Contains(l, "say_hello input.name") && strings.Contains(l, "(breaking)")
	})
	if fi, err := os.Stat(shot); err != nil || fi.Size() == 0 {
		t.Errorf("no screenshot: %v", err)
	}
}
