//go:build unix

// Command fakegcloud stands in for the Google Cloud CLI (the `gcloud run` commands mcpctl
// uses) in tests. It keeps its state (account, services, revisions, traffic, env vars)
// in $FAKE_GCLOUD_DIR/state.json, records every command line in $FAKE_GCLOUD_DIR/argv.log,
// and emulates outputs, exit codes and scripted failures.
//
// Like Cloud Run, `run deploy --source DIR` builds the directory the way Google's Go
// buildpack does (the files git does not ignore, `go build` of GOOGLE_BUILDABLE, "." by
// default), makes a revision, and starts it with PORT and the revision's env vars on the
// service's own loopback port: its URL. A revision that does not listen is not ready, and
// traffic stays where it was. Traffic follows the latest revision until it is pinned with
// update-traffic --to-revisions, as on Cloud Run.
package main

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mcpctl/mcpctl/internal/fakeplatform"
)

// State is the fake platform. Tests write Account, Project, Fail and the fault fields,
// and read the rest.
type State struct {
	// Account is the active account; "" means nobody is logged in.
	Account string `json:"account"`
	// Project is gcloud's configured project (gcloud config get-value project).
	Project  string              `json:"project"`
	Services map[string]*Service `json:"services"`
	// Fail makes a command (such as "run services update") fail with this stderr and
	// exit 1; "build" makes builds fail with this output; "start" makes new revisions
	// fail to start.
	Fail map[string]string `json:"fail"`

	// Calls, FaultAt and Fault script a fault at the FaultAt-th call.
	fakeplatform.Faults
}

// Service is one Cloud Run service.
type Service struct {
	Name      string     `json:"name"`
	Region    string     `json:"region"`
	Project   string     `json:"project"`
	Port      int        `json:"port"`
	Public    bool       `json:"public"`
	Revisions []Revision `json:"revisions"` // oldest first
	// Pinned is the revision all traffic goes to; "" means the latest ready one.
	Pinned string `json:"pinned"`
	PID    int    `json:"pid"`
}

// Revision is one immutable revision: a build and its settings.
type Revision struct {
	Name      string            `json:"name"`
	Bin       string            `json:"bin"`
	Env       map[string]string `json:"env"`
	Min       int               `json:"min"`
	Max       int               `json:"max"`
	Timeout   int               `json:"timeout"`
	Buildable string            `json:"buildable"`
	Ready     bool              `json:"ready"`
}

func main() {
	cli := fakeplatform.New("fakegcloud", "FAKE_GCLOUD_DIR", "ERROR: gcloud crashed (ConnectionResetError): fault injected")
	st := &State{}
	cli.Main(st, &st.Faults, func(args []string) int {
		if st.Services == nil {
			st.Services = map[string]*Service{}
		}
		return dispatch(cli, st, args)
	})
}

// commands are the command groups the fake knows, longest first.
var commands = []string{
	"run services update-traffic", "run services logs read", "run services describe", "run services update",
	"run deploy", "auth list", "config get-value",
}

func dispatch(cli *fakeplatform.CLI, st *State, args []string) int {
	var pos []string
	flags := map[string]string{}
	for _, a := range args {
		if name, ok := strings.CutPrefix(a, "--"); ok {
			k, v, hasValue := strings.Cut(name, "=")
			if !hasValue {
				v = "true"
			}
			flags[k] = v
			continue
		}
		pos = append(pos, a)
	}
	line := strings.Join(pos, " ")
	cmd := ""
	for _, c := range commands {
		if line == c || strings.HasPrefix(line, c+" ") {
			cmd = c
			break
		}
	}
	if cmd == "" {
		return usage("", "Invalid choice: "+line)
	}
	rest := strings.Fields(strings.TrimPrefix(line, cmd))
	if msg, ok := st.Fail[cmd]; ok {
		fmt.Fprintln(os.Stderr, msg)
		return 1
	}
	errPrefix := "ERROR: (gcloud." + strings.ReplaceAll(cmd, " ", ".") + ") "
	switch cmd {
	case "auth list":
		accounts := []map[string]string{}
		if st.Account != "" {
			accounts = append(accounts, map[string]string{"account": st.Account, "status": "ACTIVE"})
		}
		fakeplatform.PrintJSON(accounts)
		return 0
	case "config get-value":
		if len(rest) == 1 && rest[0] == "project" && st.Project != "" {
			fmt.Println(st.Project)
		} else {
			fmt.Fprintln(os.Stderr, "(unset)")
		}
		return 0
	}

	if st.Account == "" {
		fmt.Fprintln(os.Stderr, errPrefix+"You do not currently have an active account selected.\nPlease run:\n\n  $ gcloud auth login")
		return 1
	}
	project := cmp.Or(flags["project"], st.Project)
	if project == "" {
		fmt.Fprintln(os.Stderr, errPrefix+"The required property [project] is not currently set.")
		return 1
	}
	region := flags["region"]
	if region == "" {
		fmt.Fprintln(os.Stderr, errPrefix+"Missing required argument [--region].")
		return 1
	}
	if len(rest) != 1 {
		return usage(errPrefix, "give one SERVICE")
	}
	name := rest[0]
	svc := st.Services[key(project, region, name)]
	if cmd != "run deploy" && svc == nil {
		fmt.Fprintf(os.Stderr, "%sCannot find service [%s]\n", errPrefix, name)
		return 1
	}
	switch cmd {
	case "run services describe":
		fakeplatform.PrintJSON(svc.knative())
	case "run services logs read":
		n, _ := strconv.Atoi(flags["limit"])
		cli.PrintLogs(name, n)
	case "run services update-traffic":
		switch {
		case flags["to-latest"] == "true":
			svc.Pinned = ""
		case flags["to-revisions"] != "":
			rev, pct, _ := strings.Cut(flags["to-revisions"], "=")
			if pct != "100" || strings.Contains(flags["to-revisions"], ",") {
				return usage(errPrefix, "the fake splits no traffic: give REVISION=100")
			}
			if r := svc.revision(rev); r == nil || !r.Ready {
				fmt.Fprintf(os.Stderr, "%sRevision [%s] does not exist or is not ready.\n", errPrefix, rev)
				return 1
			}
			svc.Pinned = rev
		default:
			return usage(errPrefix, "give --to-latest or --to-revisions")
		}
		if err := start(cli, svc); err != nil {
			fmt.Fprintln(os.Stderr, errPrefix+err.Error())
			return 1
		}
		fmt.Fprintf(os.Stderr, "Traffic: %s\n", svc.url())
	case "run services update":
		if len(svc.Revisions) == 0 {
			fmt.Fprintf(os.Stderr, "%sCannot find service [%s]\n", errPrefix, name)
			return 1
		}
		next := svc.Revisions[len(svc.Revisions)-1]
		next.Env = fakeplatform.CopyMap(next.Env)
		if err := apply(&next, flags); err != nil {
			return usage(errPrefix, err.Error())
		}
		return svc.roll(cli, st, next, errPrefix)
	case "run deploy":
		if flags["source"] == "" {
			return usage(errPrefix, "the fake deploys only --source")
		}
		if svc == nil {
			port, err := fakeplatform.FreePort()
			if err != nil {
				cli.Fail(err.Error())
			}
			svc = &Service{Name: name, Region: region, Project: project, Port: port}
			st.Services[key(project, region, name)] = svc
		}
		if v, ok := flags["allow-unauthenticated"]; ok {
			svc.Public = v == "true"
		}
		next := Revision{Env: map[string]string{}, Max: 100, Timeout: 300}
		if n := len(svc.Revisions); n > 0 {
			next = svc.Revisions[n-1]
			next.Env = fakeplatform.CopyMap(next.Env)
		}
		if err := apply(&next, flags); err != nil {
			return usage(errPrefix, err.Error())
		}
		for _, kv := range splitList(flags["set-build-env-vars"]) {
			if b, ok := strings.CutPrefix(kv, "GOOGLE_BUILDABLE="); ok {
				next.Buildable = b
			}
		}
		bin, err := build(cli, st, svc, flags["source"], next.Buildable)
		if err != nil {
			fmt.Fprintln(os.Stderr, errPrefix+"Build failed; check build logs for details")
			return 1
		}
		next.Bin = bin
		return svc.roll(cli, st, next, errPrefix)
	}
	return 0
}

func key(project, region, name string) string { return project + "/" + region + "/" + name }

// apply changes a revision by the flags of deploy or update.
func apply(r *Revision, flags map[string]string) error {
	for _, kv := range splitList(flags["update-env-vars"]) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("--update-env-vars takes KEY=VALUE, got %q", kv)
		}
		r.Env[k] = v
	}
	for _, k := range splitList(flags["remove-env-vars"]) {
		delete(r.Env, k)
	}
	if _, ok := flags["set-env-vars"]; ok {
		return errors.New("the fake does not emulate --set-env-vars (mcpctl uses --update-env-vars)")
	}
	for flag, dst := range map[string]*int{"min-instances": &r.Min, "max-instances": &r.Max, "timeout": &r.Timeout} {
		if v, ok := flags[flag]; ok {
			n, err := strconv.Atoi(strings.TrimSuffix(v, "s"))
			if err != nil || n < 0 {
				return fmt.Errorf("--%s: %q is not a non-negative number", flag, v)
			}
			*dst = n
		}
	}
	if r.Timeout > 3600 {
		return fmt.Errorf("--timeout: %ds is more than 3600 seconds", r.Timeout)
	}
	if r.Max > 0 && r.Min > r.Max {
		return errors.New("min-instances is more than max-instances")
	}
	return nil
}

// splitList splits a gcloud list value, honouring the ^DELIM^ escape (gcloud topic escaping).
func splitList(v string) []string {
	if v == "" {
		return nil
	}
	sep := ","
	if strings.HasPrefix(v, "^") {
		if end := strings.Index(v[1:], "^"); end > 0 {
			sep = v[1 : end+1]
			v = v[end+2:]
		}
	}
	return strings.Split(v, sep)
}

// roll makes next the service's newest revision and, when traffic follows the latest,
// serves it; a revision that does not start is kept as not ready and traffic stays.
func (s *Service) roll(cli *fakeplatform.CLI, st *State, next Revision, errPrefix string) int {
	next.Name = fmt.Sprintf("%s-%05d-fak", s.Name, len(s.Revisions)+1)
	next.Ready = true
	s.Revisions = append(s.Revisions, next)
	rev := &s.Revisions[len(s.Revisions)-1]
	fmt.Fprintf(os.Stderr, "Deploying...\n  Creating Revision %s...\n", rev.Name)
	if _, broken := st.Fail["start"]; broken {
		rev.Ready = false
	} else if s.Pinned == "" {
		if err := start(cli, s); err != nil {
			rev.Ready = false
			_ = start(cli, s) // back to the last ready revision
			fmt.Fprintf(os.Stderr, "%sRevision '%s' is not ready and cannot serve traffic. %v\n", errPrefix, rev.Name, err)
			return 1
		}
	}
	if !rev.Ready {
		fmt.Fprintf(os.Stderr, "%sRevision '%s' is not ready and cannot serve traffic. The user-provided container failed to start and listen on the port defined provided by the PORT=8080 environment variable.\n", errPrefix, rev.Name)
		return 1
	}
	if s.Pinned != "" {
		fmt.Fprintf(os.Stderr, "Done. Revision %s has been deployed and is serving 0 percent of traffic (traffic is pinned to %s).\n", rev.Name, s.Pinned)
	} else {
		fmt.Fprintf(os.Stderr, "Done.\nService [%s] revision [%s] has been deployed and is serving 100 percent of traffic.\nService URL: %s\n", s.Name, rev.Name, s.url())
	}
	return 0
}

func (s *Service) revision(name string) *Revision {
	for i := range s.Revisions {
		if s.Revisions[i].Name == name {
			return &s.Revisions[i]
		}
	}
	return nil
}

// serving is the revision that gets the traffic, nil when none is ready.
func (s *Service) serving() *Revision {
	if s.Pinned != "" {
		return s.revision(s.Pinned)
	}
	for i := len(s.Revisions) - 1; i >= 0; i-- {
		if s.Revisions[i].Ready {
			return &s.Revisions[i]
		}
	}
	return nil
}

func (s *Service) url() string { return fmt.Sprintf("http://127.0.0.1:%d", s.Port) }

// knative renders the service as `gcloud run services describe --format json` does.
func (s *Service) knative() map[string]any {
	latest := s.Revisions[len(s.Revisions)-1]
	env := []map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(latest.Env)) {
		env = append(env, map[string]string{"name": k, "value": latest.Env[k]})
	}
	var traffic []map[string]any
	readyName := ""
	if r := s.serving(); r != nil && s.Pinned == "" {
		readyName = r.Name
		traffic = append(traffic, map[string]any{"revisionName": r.Name, "percent": 100, "latestRevision": true})
	} else if r != nil {
		traffic = append(traffic, map[string]any{"revisionName": r.Name, "percent": 100})
	}
	for i := len(s.Revisions) - 1; i >= 0 && readyName == ""; i-- {
		if s.Revisions[i].Ready {
			readyName = s.Revisions[i].Name
		}
	}
	ingress := "all"
	return map[string]any{
		"apiVersion": "serving.knative.dev/v1",
		"kind":       "Service",
		"metadata": map[string]any{
			"name":        s.Name,
			"namespace":   s.Project,
			"labels":      map[string]string{"cloud.googleapis.com/location": s.Region},
			"annotations": map[string]string{"run.googleapis.com/ingress": ingress},
		},
		"spec": map[string]any{
			"template": map[string]any{
				"metadata": map[string]any{"annotations": map[string]string{
					"autoscaling.knative.dev/minScale": strconv.Itoa(latest.Min),
					"autoscaling.knative.dev/maxScale": strconv.Itoa(latest.Max),
				}},
				"spec": map[string]any{
					"timeoutSeconds": latest.Timeout,
					"containers":     []map[string]any{{"image": "fake", "env": env}},
				},
			},
		},
		"status": map[string]any{
			"url":                       s.url(),
			"latestCreatedRevisionName": latest.Name,
			"latestReadyRevisionName":   readyName,
			"traffic":                   traffic,
		},
	}
}

// build copies what git does not ignore in source (gcloud uploads that, honouring
// .gitignore when there is no .gcloudignore) and builds it as the Go buildpack does.
func build(cli *fakeplatform.CLI, st *State, svc *Service, source, buildable string) (string, error) {
	fmt.Fprintln(os.Stderr, "Building using Buildpacks and deploying container to Cloud Run service ["+svc.Name+"] (fake)")
	if msg, ok := st.Fail["build"]; ok {
		fmt.Fprintln(os.Stderr, msg)
		return "", errors.New("build failed")
	}
	out := filepath.Join(cli.Dir, fmt.Sprintf("%s-build-%d", svc.Name, len(svc.Revisions)+1))
	ls := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	ls.Dir = source
	files, err := ls.Output()
	if err != nil {
		fmt.Fprintf(os.Stderr, "listing %s: %v\n", source, err)
		return "", err
	}
	for _, f := range strings.Split(strings.TrimRight(string(files), "\x00"), "\x00") {
		data, err := os.ReadFile(filepath.Join(source, f))
		if errors.Is(err, os.ErrNotExist) {
			continue // deleted, not yet committed
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return "", err
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(out, "src", f)), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(out, "src", f), data, 0o644); err != nil {
			return "", err
		}
	}
	target := cmp.Or(buildable, ".")
	fmt.Fprintf(os.Stderr, "===> BUILDING\n[builder] GOOGLE_BUILDABLE=%s\n[builder] Running \"go build -o /layers/google.go.build/bin/main %s\"\n", buildable, target)
	bin := filepath.Join(out, "main")
	if err := fakeplatform.GoBuild(filepath.Join(out, "src"), os.Stderr, "-o", bin, target); err != nil {
		fmt.Fprintln(os.Stderr, "[builder] ERROR: failed to build: exit status 1")
		return "", err
	}
	return bin, nil
}

// start stops the service's process and starts the serving revision on the service's
// port, then waits (bounded) until it listens, as Cloud Run's startup probe does.
func start(cli *fakeplatform.CLI, s *Service) error {
	fakeplatform.Stop(s.PID)
	s.PID = 0
	rev := s.serving()
	if rev == nil || rev.Bin == "" {
		return nil // nothing built: a service a test seeded with settings only
	}
	web := fakeplatform.Web{Argv: []string{rev.Bin}, Dir: filepath.Dir(rev.Bin), Port: s.Port,
		Env: []string{"K_SERVICE=" + s.Name, "K_REVISION=" + rev.Name}, Log: cli.LogPath(s.Name)}
	for k, v := range rev.Env {
		web.Env = append(web.Env, k+"="+v)
	}
	c, err := web.Start()
	if err != nil {
		return err
	}
	if err := fakeplatform.AwaitListen(c, s.Port, 60*time.Second); err != nil {
		return fmt.Errorf("the container %v; see gcloud run services logs read %s", err, s.Name)
	}
	s.PID = c.Process.Pid
	return nil
}

func usage(prefix, msg string) int {
	if prefix == "" {
		prefix = "ERROR: (gcloud) "
	}
	fmt.Fprintln(os.Stderr, prefix+msg)
	return 2
}
