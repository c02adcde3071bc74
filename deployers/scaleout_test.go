package deployers_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/deployers"
	"github.com/mcpctl/mcpctl/internal/envfile"
	"github.com/mcpctl/mcpctl/internal/testproject"
	"github.com/mcpctl/mcpctl/keys"
	"github.com/mcpctl/mcpctl/scaffold"
)

// cluster is "the platform" of the scale-out proof: n instances of the generated server
// behind a round-robin reverse proxy. A config change restarts every instance with the
// new environment, as a platform's new release or revision does.
type cluster struct {
	t    testing.TB
	proj *testproject.Project
	n    int

	mu       sync.Mutex
	config   map[string]string
	backends []*url.URL
	hits     []int

	next  atomic.Uint64
	proxy *httptest.Server
}

func newCluster(t testing.TB, proj *testproject.Project, n int, cfg map[string]string) *cluster {
	c := &cluster{t: t, proj: proj, n: n, config: cfg}
	c.restart()
	c.proxy = httptest.NewServer(http.HandlerFunc(c.serve))
	t.Cleanup(c.proxy.Close)
	return c
}

// serve sends each request to the next instance in turn: no affinity, as MCP clients
// keep no cookies for a load balancer to stick them with.
func (c *cluster) serve(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	i := int(c.next.Add(1)-1) % len(c.backends)
	target := c.backends[i]
	c.hits[i]++
	c.mu.Unlock()
	rp := &httputil.ReverseProxy{
		Rewrite:       func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
		FlushInterval: -1, // event streams pass through as they are written
		// A client that hangs up mid-stream is normal here; keep the test log readable.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	rp.ServeHTTP(w, r)
}

// restart starts n instances with the current config and routes to them; the old ones
// get no more requests (and stop when the test ends).
func (c *cluster) restart() {
	c.t.Helper()
	var env []string
	for k, v := range c.config {
		env = append(env, k+"="+v)
	}
	var backends []*url.URL
	for range c.n {
		u, err := url.Parse(c.proj.Start(c.t, env...))
		if err != nil {
			c.t.Fatal(err)
		}
		backends = append(backends, u)
	}
	c.mu.Lock()
	c.backends, c.hits = backends, make([]int, c.n)
	c.mu.Unlock()
}

func (c *cluster) instances() []*url.URL {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*url.URL(nil), c.backends...)
}

func (c *cluster) hitCounts() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int(nil), c.hits...)
}

// The cluster is a deployers.Platform, so keys.Store rotates keys on it as on Heroku or
// Cloud Run.
func (c *cluster) Name() string                           { return "cluster" }
func (c *cluster) App() string                            { return "scaleout" }
func (c *cluster) WebURL(context.Context) (string, error) { return c.proxy.URL, nil }
func (c *cluster) Config(context.Context) (map[string]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.config), nil
}

func (c *cluster) SetConfig(_ context.Context, vars map[string]string) error {
	c.mu.Lock()
	for k, v := range vars {
		if v == "" {
			delete(c.config, k)
		} else {
			c.config[k] = v
		}
	}
	c.mu.Unlock()
	c.restart()
	return nil
}

var _ deployers.Platform = (*cluster)(nil)

type keyHeader struct{ key string }

func (h keyHeader) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("x-api-key", h.key)
	return http.DefaultTransport.RoundTrip(r)
}

// session connects a client of the given protocol era ("" for the newest) to endpoint.
func session(ctx context.Context, endpoint, key, version string) (*mcp.ClientSession, error) {
	transport := &mcp.StreamableClientTransport{Endpoint: endpoint, HTTPClient: &http.Client{Transport: keyHeader{key}}, MaxRetries: 1, DisableStandaloneSSE: true}
	var opts *mcp.ClientSessionOptions
	if version != "" {
		opts = &mcp.ClientSessionOptions{ProtocolVersion: version}
	}
	return mcp.NewClient(&mcp.Implementation{Name: "scaleout", Version: "0"}, nil).Connect(ctx, transport, opts)
}

// useServer lists the tools and calls one several times, each request free to land on
// any instance.
func useServer(ctx context.Context, cs *mcp.ClientSession, calls int) error {
	if _, err := cs.ListTools(ctx, nil); err != nil {
		return fmt.Errorf("tools/list: %w", err)
	}
	for i := range calls {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "say_hello", Arguments: map[string]any{"name": fmt.Sprint("n", i)}})
		if err != nil {
			return fmt.Errorf("call %d: %w", i, err)
		}
		if res.IsError {
			return fmt.Errorf("call %d: tool error %v", i, res.Content)
		}
	}
	return nil
}

// A stateless generated server scales out with no change: three instances behind a
// round-robin proxy serve clients of both protocol eras, every call passes, and keys
// rotated on the platform are accepted by every instance. The same three instances run
// stateful lose the session as soon as a request reaches another instance: that is why
// `mcpctl scale` and `deploy` refuse more than one instance for a stateful project.
func TestScaleOutStatelessWorksStatefulFails(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the generated server")
	}
	proj := testproject.Build(t, scaffold.Project{Name: "scaleout", Auth: "apikey", Stateless: true})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	project := config.Default("scaleout")
	env, err := envfile.Read(proj.Dir + "/" + envfile.Name)
	if err != nil {
		t.Fatal(err)
	}
	c := newCluster(t, proj, 3, deployers.DesiredConfig(project, env))
	endpoint := c.proxy.URL + "/mcp"

	for _, era := range []string{"", "2025-11-25"} {
		cs, err := session(ctx, endpoint, proj.Key, era)
		if err != nil {
			t.Fatalf("era %q: connect through the proxy: %v", era, err)
		}
		got := cs.InitializeResult().ProtocolVersion
		if era != "" && got != era || era == "" && got != "2026-07-28" {
			t.Errorf("era %q negotiated %s", era, got)
		}
		if err := useServer(ctx, cs, 6); err != nil {
			t.Fatalf("era %s through three instances: %v", got, err)
		}
		cs.Close()
	}
	for i, n := range c.hitCounts() {
		if n == 0 {
			t.Fatalf("instance %d got no request (hits %v): the proof proves nothing", i, c.hitCounts())
		}
	}

	// keys rotate on "the platform": one config change, every instance restarted with
	// old and new hashes; both keys work on each instance.
	store := &keys.Store{Dir: proj.Dir, Platform: c}
	rot, err := store.Rotate(ctx, keys.DefaultName, false)
	if err != nil {
		t.Fatal(err)
	}
	if !rot.Deployed {
		t.Fatal("the rotation did not reach the platform")
	}
	cfg, _ := c.Config(ctx)
	if h := cfg[keys.HashesEnvVar]; !strings.Contains(h, keys.Hash(rot.NewPlaintext)) || !strings.Contains(h, keys.Hash(proj.Key)) {
		t.Fatalf("platform hashes %q", h)
	}
	for _, key := range []string{proj.Key, rot.NewPlaintext} {
		for i, b := range c.instances() {
			cs, err := session(ctx, b.String()+"/mcp", key, "")
			if err != nil {
				t.Fatalf("instance %d refused the %s key after the rotation: %v", i, map[bool]string{true: "old", false: "new"}[key == proj.Key], err)
			}
			if err := useServer(ctx, cs, 1); err != nil {
				t.Fatalf("instance %d: %v", i, err)
			}
			cs.Close()
		}
	}
	if _, err := store.RevokePrevious(ctx, keys.DefaultName); err != nil {
		t.Fatal(err)
	}
	for i, b := range c.instances() {
		if cs, err := session(ctx, b.String()+"/mcp", proj.Key, ""); err == nil {
			err = useServer(ctx, cs, 1)
			cs.Close()
			if err == nil {
				t.Fatalf("instance %d still accepts the revoked key", i)
			}
		}
	}

	// Stateful, the same three instances break sessions; one instance works.
	statefulCfg := deployers.DesiredConfig(project, env)
	statefulCfg["MCP_STATELESS"] = "false"
	for _, n := range []int{1, 3} {
		sc := newCluster(t, proj, n, statefulCfg)
		cs, err := session(ctx, sc.proxy.URL+"/mcp", proj.Key, "2025-11-25")
		if err == nil {
			err = useServer(ctx, cs, 3)
			cs.Close()
		}
		switch {
		case n == 1 && err != nil:
			t.Fatalf("stateful on one instance: %v", err)
		case n > 1 && err == nil:
			t.Fatalf("stateful on %d instances worked: the guard would be needless", n)
		case n > 1:
			t.Logf("stateful on %d instances fails as expected: %v", n, err)
		}
	}
}
