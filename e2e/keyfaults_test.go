package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/joho/godotenv"

	"github.com/mcpctl/mcpctl/keys"
)

// faultRig is a project whose app lives on a fake platform (config only, no build), for
// driving key operations into faults quickly.
type faultRig struct {
	t   *testing.T
	dir string
	env []string
	// The platform's fake: its state file (for faults), the key hashes the app accepts
	// now, and the command lines it saw.
	stateFile string
	hashes    func() string
	argv      func() []string
	cli       string
}

func newFaultRig(t *testing.T) *faultRig {
	t.Helper()
	dir := t.TempDir()
	key, _ := keys.Generate()
	os.WriteFile(filepath.Join(dir, "mcpctl.toml"), []byte("[project]\nname = \"faults\"\n\n[deploy.heroku]\napp = \"faults\"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, ".env"), []byte("MCP_API_KEY="+key+"\n"), 0o600)
	app, _ := json.Marshal(map[string]any{
		"name": "faults", "region": "us", "config": map[string]string{keys.HashesEnvVar: keys.Hash(key)},
		"releases": []map[string]any{{"version": 1, "description": "Initial release", "config": map[string]string{}}},
	})
	fake := newFakeHeroku(t, fakeState{LoggedIn: true, Email: "dev@example.com", Apps: map[string]json.RawMessage{"faults": app}})
	env := append(slices.Clone(fake.env), "HOME="+t.TempDir(), "MCPCTL_HEROKU_TIMEOUT=3s")
	return &faultRig{t: t, dir: dir, env: env, cli: "heroku", stateFile: filepath.Join(fake.dir, "state.json"),
		hashes: func() string { return fake.app(t, "faults").Config[keys.HashesEnvVar] },
		argv:   func() []string { return fake.argv(t) }}
}

// accepted reports whether the app takes key.
func (r *faultRig) accepted(key string) bool {
	return key != "" && slices.Contains(keys.SplitHashes(r.hashes()), keys.Hash(key))
}

// dotenv reads .env; ok is false when it does not parse, lost its key or its mode.
func (r *faultRig) dotenv() (vars map[string]string, ok bool) {
	vars, err := godotenv.Read(filepath.Join(r.dir, ".env"))
	st, serr := os.Stat(filepath.Join(r.dir, ".env"))
	return vars, err == nil && serr == nil && st.Mode().Perm() == 0o600 && keys.LooksLikeKey(vars["MCP_API_KEY"])
}

// arm makes the k-th platform CLI call from now meet fault.
func (r *faultRig) arm(k int, fault string) {
	r.setFault(func(calls int) (int, string) { return calls + k, fault })
}

func (r *faultRig) disarm() { r.setFault(func(int) (int, string) { return 0, "" }) }

// setFault edits the fault fields both fakes share, keeping the rest of their state.
func (r *faultRig) setFault(f func(calls int) (at int, fault string)) {
	r.t.Helper()
	var st map[string]json.RawMessage
	data, err := os.ReadFile(r.stateFile)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := json.Unmarshal(data, &st); err != nil {
		r.t.Fatal(err)
	}
	var calls int
	_ = json.Unmarshal(st["calls"], &calls)
	at, fault := f(calls)
	st["fault_at"], _ = json.Marshal(at)
	st["fault"], _ = json.Marshal(fault)
	data, _ = json.Marshal(st)
	if err := os.WriteFile(r.stateFile, data, 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// tally is what the harness counts, for the figures quoted in the log.
type tally struct {
	faults, usableAtFault, usableAfter, leaked, intact int
}

// check records one fault's outcome: the key in MCP_API_KEY works after the fault and
// after the rerun (rerun: the error's hint asks for a plain `keys rotate`); old (rotated
// with --now when revoke is set) does not work after it; .env stays whole.
func (r *faultRig) check(tl *tally, name, old string, revoke bool, rerun ...string) {
	t := r.t
	t.Helper()
	tl.faults++
	vars, ok := r.dotenv()
	if ok {
		tl.intact++
	} else {
		t.Errorf("%s: .env damaged after the fault: %v", name, vars)
	}
	if r.accepted(vars["MCP_API_KEY"]) {
		tl.usableAtFault++
	} else {
		t.Errorf("%s: after the fault the app refuses MCP_API_KEY", name)
	}
	if len(rerun) == 0 {
		rerun = []string{"keys", "rotate"}
	}
	if out, errOut, code := mcpctl(t, r.dir, r.env, rerun...); code != 0 {
		t.Fatalf("%s: rerun exited %d\n%s\n%s", name, code, out, errOut)
	}
	vars, _ = r.dotenv()
	if r.accepted(vars["MCP_API_KEY"]) {
		tl.usableAfter++
	} else {
		t.Errorf("%s: after the rerun the app refuses MCP_API_KEY", name)
	}
	if revoke && r.accepted(old) {
		tl.leaked++
		t.Errorf("%s: the key rotated with --now still works after the rerun", name)
	}
	for _, v := range []string{"MCP_API_KEY_PENDING", "MCP_API_KEY_REVOKING"} {
		if vars[v] != "" {
			t.Errorf("%s: %s left in .env after the rerun", name, v)
		}
	}
}

// faultModes are the faults both fakes inject (see internal/fakeplatform.Faults).
var faultModes = []string{"fail", "fail-after", "kill-before", "kill-after", "die-before", "die-after", "hang-before", "hang-after"}

// rotateUnderFaults runs `keys rotate` and `keys rotate --now` with each fault armed at
// each of the platform CLI's first calls calls (a hang only at the first hangCalls: each
// costs the timeout), checks every outcome, and logs the tally. exited judges each run's
// exit code and stderr.
func (r *faultRig) rotateUnderFaults(calls, hangCalls int, exited func(name, mode string, k, code int, errOut string)) {
	t := r.t
	t.Helper()
	var tl tally
	for _, now := range []bool{false, true} {
		for k := 1; k <= calls; k++ {
			for _, mode := range faultModes {
				if strings.HasPrefix(mode, "hang") && k > hangCalls {
					continue
				}
				name := fmt.Sprintf("rotate now=%v call %d %s", now, k, mode)
				vars, _ := r.dotenv()
				old := vars["MCP_API_KEY"]
				r.arm(k, mode)
				args := []string{"keys", "rotate"}
				if now {
					args = append(args, "--now")
				}
				_, errOut, code := mcpctl(t, r.dir, r.env, args...)
				r.disarm()
				exited(name, mode, k, code, errOut)
				r.check(&tl, name, old, now)
			}
		}
	}
	t.Logf("injected faults: %d; MCP_API_KEY accepted right after the fault %d/%d, after the rerun %d/%d; leaked (--now) key accepted after the rerun %d; .env intact %d/%d",
		tl.faults, tl.usableAtFault, tl.faults, tl.usableAfter, tl.faults, tl.leaked, tl.intact, tl.faults)
}

// noPlaintextInArgv fails when a key reached the platform CLI's command line.
func (r *faultRig) noPlaintextInArgv() {
	for _, c := range r.argv() {
		if len(keys.Find([]byte(c))) > 0 {
			r.t.Errorf("a plaintext key reached the %s CLI: %s", r.cli, c)
		}
	}
}

// TestKeyRotationFaults injects a fault into each heroku call of `keys rotate` and
// `keys rotate --now`: the call fails before or after it applied, mcpctl is SIGKILLed
// before or after it, the CLI kills itself before or after it, or it hangs (mcpctl's
// timeout ends it). Then come timed SIGKILLs of mcpctl and concurrent rotations.
func TestKeyRotationFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("runs mcpctl about 200 times")
	}
	r := newFaultRig(t)
	r.rotateUnderFaults(5, 2, func(name, mode string, k, code int, errOut string) {
		// A hang after config:set applied ends in a read-back that finds it done.
		if (mode == "hang-before" || mode == "hang-after" && k == 1) && (code != 124 || !strings.Contains(errOut, "heroku config")) {
			t.Errorf("%s: exit %d, want 124 and the call named:\n%s", name, code, errOut)
		}
	})

	// Timed kills: SIGKILL mcpctl at points spread over a `keys rotate --now`.
	var timed tally
	for i := range 12 {
		vars, _ := r.dotenv()
		old := vars["MCP_API_KEY"]
		before, _ := os.ReadFile(filepath.Join(r.dir, ".env"))
		c := exec.Command(mcpctlBin, "keys", "rotate", "--now")
		c.Dir = r.dir
		c.Env = append(append(os.Environ(), "NO_COLOR=1", "CI=true"), r.env...)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		kill := time.AfterFunc(time.Duration(i)*15*time.Millisecond, func() { _ = c.Process.Signal(syscall.SIGKILL) })
		_ = c.Wait()
		kill.Stop()
		// Killed before it wrote anything (nothing changed anywhere: the platform is only
		// read before .env records the intent), the user can only repeat the command.
		rerun := []string{"keys", "rotate"}
		if after, _ := os.ReadFile(filepath.Join(r.dir, ".env")); string(after) == string(before) {
			rerun = append(rerun, "--now")
		}
		r.check(&timed, fmt.Sprintf("timed kill %d", i), old, true, rerun...)
	}
	t.Logf("timed kills: %d; MCP_API_KEY accepted after the rerun %d/%d; leaked key accepted %d; .env intact %d/%d",
		timed.faults, timed.usableAfter, timed.faults, timed.leaked, timed.intact, timed.faults)

	// Concurrent rotations take turns on the project lock: all finish, the result works.
	for round := range 3 {
		var wg sync.WaitGroup
		codes := make([]int, 3)
		errs := make([]string, 3)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				args := []string{"keys", "rotate"}
				if (round+i)%2 == 0 {
					args = append(args, "--now")
				}
				_, errs[i], codes[i] = mcpctl(t, r.dir, r.env, args...)
			}()
		}
		wg.Wait()
		vars, ok := r.dotenv()
		if slices.ContainsFunc(codes, func(c int) bool { return c != 0 }) || !ok || !r.accepted(vars["MCP_API_KEY"]) {
			t.Errorf("concurrent round %d: exits %v, .env ok %v, MCP_API_KEY accepted %v; stderr: %q", round, codes, ok, r.accepted(vars["MCP_API_KEY"]), errs)
		}
		if n := len(keys.SplitHashes(r.hashes())); n > 2 {
			t.Errorf("concurrent round %d: the app accepts %d keys, want the key and at most its previous", round, n)
		}
	}

	// keys new: a fault never yields a key the app refuses. A run that exits 0 printed
	// a key the app accepts; one that did not printed nothing, and the rerun finishes.
	var created tally
	for k := 1; k <= 3; k++ {
		for _, mode := range []string{"fail", "fail-after", "kill-before", "kill-after", "die-before", "die-after"} {
			name := fmt.Sprintf("new call %d %s", k, mode)
			r.arm(k, mode)
			out, _, code := mcpctl(t, r.dir, r.env, "keys", "new", "--name", "ci", "--show")
			r.disarm()
			created.faults++
			if printed := strings.TrimSpace(out); printed != "" && (code != 0 || !r.accepted(printed)) {
				t.Errorf("%s: exit %d printed a key the app accepts: %v", name, code, r.accepted(printed))
			}
			if _, ok := r.dotenv(); ok {
				created.intact++
			}
			vars, _ := r.dotenv()
			if vars["MCP_API_KEY_CI"] == "" {
				if out, errOut, code := mcpctl(t, r.dir, r.env, "keys", "new", "--name", "ci"); code != 0 {
					t.Fatalf("%s: rerun exited %d\n%s\n%s", name, code, out, errOut)
				}
			}
			vars, _ = r.dotenv()
			if r.accepted(vars["MCP_API_KEY_CI"]) && vars["MCP_API_KEY_CI_PENDING"] == "" {
				created.usableAfter++
			} else {
				t.Errorf("%s: after the rerun .env %v, accepted %v", name, vars, r.accepted(vars["MCP_API_KEY_CI"]))
			}
			if out, errOut, code := mcpctl(t, r.dir, r.env, "keys", "revoke", "ci"); code != 0 {
				t.Fatalf("%s: revoke exited %d\n%s\n%s", name, code, out, errOut)
			}
		}
	}
	t.Logf("keys new faults: %d; the key accepted after the rerun %d/%d; .env intact %d/%d",
		created.faults, created.usableAfter, created.faults, created.intact, created.faults)
	r.noPlaintextInArgv()
}
