// Command bench measures the server `mcpctl init` generates against a bare go-sdk server
// with the same tools and against the TypeScript SDK, in one run, interleaved, and writes
// BENCHMARKS.md. Run it from the repository root:
//
//	go run ./bench
//
// Servers run pinned to one core and the load (mcpctl's loadgen, in this process) to
// another, when taskset and two cores are there.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mcpctl/mcpctl/internal/mcpwire"
	"github.com/mcpctl/mcpctl/scaffold"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// containerName names the generated server run under a memory ceiling.
const containerName = "generated, memory ceiling"

// pinnedEnv marks the re-executed, pinned bench process.
const pinnedEnv = "MCPCTL_BENCH_PINNED"

type options struct {
	rounds   int
	duration time.Duration
	warmup   time.Duration
	clients  []int
	coldRuns int
	sessions int
	out      string
	skipTS   bool
	skipDev  bool
	profile  string
	// containerMem is the GOMEMLIMIT of the extra generated servers that run as under a
	// container's memory ceiling ("": leave them out).
	containerMem string
	serverCPU    string
	loadCPU      string
}

func main() {
	var o options
	var clients string
	flag.IntVar(&o.rounds, "rounds", 7, "interleaved rounds of every throughput measurement (the median is reported)")
	flag.DurationVar(&o.duration, "duration", 3*time.Second, "length of one throughput measurement")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "load before each measurement, not counted")
	flag.StringVar(&clients, "clients", "1,16,64", "concurrent clients to measure")
	flag.IntVar(&o.coldRuns, "cold", 20, "cold starts per server (the median is reported)")
	flag.IntVar(&o.sessions, "sessions", 1000, "sessions opened for the stateful memory figure")
	flag.StringVar(&o.out, "out", "BENCHMARKS.md", "file to write (\"\": only print)")
	flag.BoolVar(&o.skipTS, "skip-ts", false, "leave out the TypeScript SDK server")
	flag.BoolVar(&o.skipDev, "skip-dev", false, "leave out the dev loop measurement")
	flag.StringVar(&o.profile, "profile", "", "instead of the table: write CPU and allocation profiles of the generated and bare servers (both modes) under the largest -clients load into this directory")
	flag.StringVar(&o.containerMem, "container-mem", "460MiB", "GOMEMLIMIT of an extra generated server measured as under a container's memory ceiling, where its TuneGC picks GOGC=400 (\"\": leave it out)")
	flag.StringVar(&o.serverCPU, "server-cpu", "1", "CPU list the servers are pinned to (taskset -c)")
	flag.StringVar(&o.loadCPU, "load-cpu", "0", "CPU list the load is pinned to")
	flag.Parse()
	for _, s := range strings.Split(clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fatalf("-clients %q: want a list such as 1,16,64", clients)
		}
		o.clients = append(o.clients, n)
	}
	if o.rounds < 1 || o.coldRuns < 1 || o.duration <= 0 {
		fatalf("-rounds, -cold and -duration must be positive")
	}
	pin(&o)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	os.Exit(1)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// pin re-executes this program on the load CPU, so that servers and load don't share a
// core (the way the figures were taken). Without taskset or with one core it
// carries on unpinned and says so.
func pin(o *options) {
	if os.Getenv(pinnedEnv) != "" {
		return
	}
	ts, err := exec.LookPath("taskset")
	if err != nil || runtime.NumCPU() < 2 {
		logf("not pinning servers and load to separate cores (needs taskset and 2 CPUs)")
		o.serverCPU = ""
		return
	}
	self, err := os.Executable()
	if err != nil {
		fatalf("%v", err)
	}
	c := exec.Command(ts, append([]string{"-c", o.loadCPU, self}, os.Args[1:]...)...)
	c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
	c.Env = append(os.Environ(), pinnedEnv+"=1")
	if err := c.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			os.Exit(ee.ExitCode())
		}
		fatalf("%v", err)
	}
	os.Exit(0)
}

func run(ctx context.Context, o options) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "mcpctl-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	logf("building the generated project and the bare server in %s", work)
	gen, key, err := buildGenerated(ctx, work, o.profile != "")
	if err != nil {
		return err
	}
	bare := filepath.Join(work, "bare")
	if err := goBuild(ctx, root, bare, "./bench/bare", o.profile != ""); err != nil {
		return err
	}
	servers := []*server{
		{name: "generated", mode: "stateless", argv: []string{gen}, env: []string{"MCP_API_KEY=" + key, "MCP_STATELESS=true"}, key: key},
		{name: "bare go-sdk", mode: "stateless", argv: []string{bare}, env: []string{"MCP_STATELESS=true"}},
		{name: "generated", mode: "stateful", argv: []string{gen}, env: []string{"MCP_API_KEY=" + key, "MCP_STATELESS=false"}, key: key},
		{name: "bare go-sdk", mode: "stateful", argv: []string{bare}, env: []string{"MCP_STATELESS=false"}},
	}
	if o.profile == "" && o.containerMem != "" {
		// As on a platform with a memory ceiling (a 512 MB dyno): TuneGC then picks
		// GOGC=400. This machine has no cgroup limit, so the ceiling is given as GOMEMLIMIT.
		for _, mode := range []string{"stateless", "stateful"} {
			servers = append(servers, &server{name: containerName, mode: mode, argv: []string{gen}, key: key,
				env: []string{"MCP_API_KEY=" + key, "MCP_STATELESS=" + strconv.FormatBool(mode == "stateless"), "GOMEMLIMIT=" + o.containerMem}})
		}
	}
	if err := sameTools(ctx, servers[0], servers[1]); err != nil {
		return err
	}
	if o.profile != "" {
		return profile(ctx, o, servers)
	}

	var tsNote string
	if o.skipTS {
		tsNote = "TypeScript SDK server left out (-skip-ts)."
	} else if dir, note := prepareTS(ctx, root, work); dir == "" {
		tsNote = note
		logf("%s", note)
	} else {
		tsNote = note
		for _, mode := range []string{"stateless", "stateful"} {
			servers = append(servers, &server{name: "TypeScript SDK", mode: mode, argv: []string{"node", "server.mjs"}, dir: dir, env: []string{"MODE=" + mode}, portEnv: "PORT"})
		}
	}
	for _, s := range servers {
		s.cpu = o.serverCPU
	}

	res := &results{opts: o, tsNote: tsNote, started: time.Now(), machine: machine(ctx)}
	if err := measureCold(ctx, o, servers, res); err != nil {
		return err
	}
	if err := measureThroughput(ctx, o, servers, res); err != nil {
		return err
	}
	if err := measureSessions(ctx, o, servers, res); err != nil {
		return err
	}
	if !o.skipDev {
		logf("dev loop: go test -run '^$' -bench DevLoop -benchtime 1x ./runner/")
		res.dev, res.devErr = measureDev(ctx, root)
	}
	res.finished = time.Now()

	md := res.markdown()
	fmt.Print(md)
	if o.out == "" {
		return nil
	}
	path := o.out
	if !filepath.IsAbs(path) {
		path = filepath.Join(root, path)
	}
	return writeKeepingNotes(path, md)
}

// sameTools checks that the bare server registers the generated project's tools: what
// each collection marks includes every registered tool's schemas, so the comparison is of
// the layers only when the tools are the same.
func sameTools(ctx context.Context, gen, bare *server) error {
	lists := make([]string, 2)
	for i, s := range []*server{gen, bare} {
		if _, err := s.start(ctx); err != nil {
			return err
		}
		list, err := listTools(ctx, s)
		s.stop()
		if err != nil {
			return fmt.Errorf("%s: tools/list: %w", s.label(), err)
		}
		lists[i] = list
	}
	if lists[0] != lists[1] {
		return fmt.Errorf("bench/bare does not register the generated project's tools; make its tools match the template's (templates/go/tools)\ngenerated: %s\nbare:      %s", lists[0], lists[1])
	}
	return nil
}

func listTools(ctx context.Context, s *server) (string, error) {
	hc := &http.Client{Transport: mcpwire.WithHeader(http.DefaultTransport, s.header()), Timeout: 10 * time.Second}
	c := mcp.NewClient(&mcp.Implementation{Name: "mcpctl-bench", Version: "1"}, nil)
	cs, err := c.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: s.url, HTTPClient: hc, MaxRetries: -1}, nil)
	if err != nil {
		return "", err
	}
	defer cs.Close()
	res, err := cs.ListTools(ctx, nil)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(res.Tools)
	return string(b), err
}

// repoRoot is the mcpctl checkout this program lives in.
func repoRoot() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return "", fmt.Errorf("finding the module root (run from the mcpctl checkout): %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// buildGenerated renders the project exactly as `mcpctl init benchsrv` does (API key
// auth, stateless by default) and builds it.
func buildGenerated(ctx context.Context, work string, withPprof bool) (bin, key string, err error) {
	p := scaffold.Project{Name: "benchsrv", Module: "example.com/benchsrv", Path: "/mcp", Port: 8000, Auth: "apikey", Stateless: true}
	dir := filepath.Join(work, "benchsrv")
	plan, key, err := p.Plan()
	if err != nil {
		return "", "", err
	}
	if err := scaffold.Apply(dir, plan); err != nil {
		return "", "", err
	}
	if withPprof {
		if err := os.WriteFile(filepath.Join(dir, "cmd", "benchsrv", "zz_pprof.go"), []byte(pprofFile), 0o644); err != nil {
			return "", "", err
		}
	}
	bin = filepath.Join(work, "benchsrv-bin")
	return bin, key, goBuild(ctx, dir, bin, "./cmd/benchsrv", withPprof)
}

func goBuild(ctx context.Context, dir, out, pkg string, withPprof bool) error {
	args := []string{"build", "-o", out}
	if withPprof {
		args = append(args, "-tags", "benchpprof")
	}
	c := exec.CommandContext(ctx, "go", append(args, pkg)...)
	c.Dir = dir
	if b, err := c.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return nil
}

// prepareTS installs the TypeScript peer from its lockfile. It returns "" and the reason
// when node or npm is missing or the install fails.
func prepareTS(ctx context.Context, root, work string) (dir, note string) {
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			return "", "TypeScript SDK server skipped: " + tool + " is not installed."
		}
	}
	dir = filepath.Join(work, "ts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "TypeScript SDK server skipped: " + err.Error()
	}
	for _, f := range []string{"package.json", "package-lock.json", "server.mjs"} {
		b, err := os.ReadFile(filepath.Join(root, "bench", "ts", f))
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, f), b, 0o644)
		}
		if err != nil {
			return "", "TypeScript SDK server skipped: " + err.Error()
		}
	}
	logf("npm ci (TypeScript SDK peer)")
	c := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	c.Dir = dir
	if b, err := c.CombinedOutput(); err != nil {
		return "", fmt.Sprintf("TypeScript SDK server skipped: npm ci failed: %v: %s", err, strings.TrimSpace(string(b)))
	}
	v, _ := exec.CommandContext(ctx, "node", "--version").Output()
	return dir, "TypeScript SDK: @modelcontextprotocol/sdk 1.32.2 with express 5.3.0 (bench/ts, lockfile pinned), node " + strings.TrimSpace(string(v)) + "."
}

// server is one server under test.
type server struct {
	name, mode string
	argv       []string
	env        []string
	dir        string
	key        string
	cpu        string
	portEnv    string // the port variable ("" means MCP_LISTEN_ADDR=127.0.0.1:port)

	cmd    *exec.Cmd
	exited chan struct{}
	url    string
}

func (s *server) label() string { return s.name + " " + s.mode }

func (s *server) header() http.Header {
	if s.key == "" {
		return http.Header{}
	}
	return http.Header{"X-Api-Key": {s.key}}
}

// start starts the server and returns the time from exec to the first successful
// initialize.
func (s *server) start(ctx context.Context) (time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return 0, err
	}
	argv := s.argv
	if s.cpu != "" {
		argv = append([]string{"taskset", "-c", s.cpu}, argv...)
	}
	c := exec.Command(argv[0], argv[1:]...)
	c.Dir = s.dir
	c.Env = append(os.Environ(), s.env...)
	if s.portEnv != "" {
		c.Env = append(c.Env, s.portEnv+"="+strconv.Itoa(port))
	} else {
		c.Env = append(c.Env, "MCP_LISTEN_ADDR=127.0.0.1:"+strconv.Itoa(port))
	}
	var stderr bytes.Buffer
	c.Stdout, c.Stderr = io.Discard, &limitedBuffer{b: &stderr, max: 64 << 10}
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	s.url = fmt.Sprintf("http://127.0.0.1:%d/mcp", port)
	start := time.Now()
	if err := c.Start(); err != nil {
		return 0, err
	}
	s.cmd = c
	exited := make(chan struct{})
	s.exited = exited
	go func() { _ = c.Wait(); close(exited) }()
	hc := &http.Client{Timeout: 5 * time.Second}
	// Measurement polling: the first initialize that succeeds is the end of cold start.
	for {
		select {
		case <-exited:
			return 0, fmt.Errorf("%s exited during start-up:\n%s", s.label(), stderr.String())
		case <-ctx.Done():
			s.stop()
			return 0, ctx.Err()
		default:
		}
		if initialize(hc, s.url, s.header()) == nil {
			return time.Since(start), nil
		}
		if time.Since(start) > time.Minute {
			s.stop()
			return 0, fmt.Errorf("%s did not answer initialize within a minute:\n%s", s.label(), stderr.String())
		}
		time.Sleep(time.Millisecond)
	}
}

// stop ends the server's process group: SIGTERM, then SIGKILL after 5 s.
func (s *server) stop() {
	if s.cmd == nil {
		return
	}
	pid := s.cmd.Process.Pid
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-s.exited
	}
	s.cmd = nil
}

// pid is the server's own process (taskset execs it in place).
func (s *server) pid() int { return s.cmd.Process.Pid }

type limitedBuffer struct {
	b   *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.b.Len(); room > 0 {
		l.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// initialize opens a 2025-11-25 session (the request every era's server answers) and
// returns its id ("" when stateless).
func initialize(hc *http.Client, url string, h http.Header) error {
	_, err := openSession(hc, url, h)
	return err
}

func openSession(hc *http.Client, url string, h http.Header) (string, error) {
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"mcpctl-bench","version":"1"}}}`
	resp, err := post(hc, url, h, body)
	if err != nil {
		return "", err
	}
	sid := resp.Header.Get(mcpwire.HeaderSessionID)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(b, []byte(`"protocolVersion"`)) {
		return "", fmt.Errorf("initialize: %s: %.200s", resp.Status, b)
	}
	if sid == "" {
		return "", nil
	}
	h2 := h.Clone()
	h2.Set(mcpwire.HeaderSessionID, sid)
	h2.Set(mcpwire.HeaderProtocolVersion, "2025-11-25")
	resp, err = post(hc, url, h2, `{"jsonrpc":"2.0","method":"notifications/initialized","params":{}}`)
	if err != nil {
		return "", err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("notifications/initialized: %s", resp.Status)
	}
	return sid, nil
}

func post(hc *http.Client, url string, h http.Header, body string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	return hc.Do(req)
}

// rssMB is the resident set of pid in MB (Linux).
func rssMB(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
