package keys

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mcpctl/mcpctl/internal/envfile"
)

// TestRotateFaults fails each platform call of a rotation in turn, before it applies and
// after (the process dying right after the platform took the change), then reruns the
// way the error's hint says: plain `keys rotate`. At the fault and after the rerun the
// key in MCP_API_KEY must work; after the rerun a key rotated with --now must not; .env
// must always parse.
func TestRotateFaults(t *testing.T) {
	t.Parallel()
	var faults, usableAfter, leakedAfter, intact int
	for _, now := range []bool{false, true} {
		for _, rerunNow := range []bool{false, true} {
			for _, applied := range []bool{false, true} {
				for at := 1; at <= 6; at++ {
					name := fmt.Sprintf("now=%v/rerun-now=%v/applied=%v/call%d", now, rerunNow, applied, at)
					t.Run(name, func(t *testing.T) {
						p := &platform{config: map[string]string{}}
						s, old := newStore(t, p)
						p.failAt, p.applyThenFail = at, applied
						_, err := s.Rotate(context.Background(), "", now)
						if p.calls < at {
							t.Skip("the rotation makes fewer calls")
						}
						faults++
						if err == nil && !(applied && p.calls == at) {
							t.Fatalf("rotation succeeded through a fault at call %d", at)
						}
						if _, rerr := envfile.Read(filepath.Join(s.Dir, ".env")); rerr == nil {
							intact++
						}
						p.failAt = 0
						if !usable(t, s, p) {
							t.Fatalf("after the fault (%v) MCP_API_KEY is refused; .env %v, app %v", err, readEnv(t, s), p.config)
						}
						if _, err := s.Rotate(context.Background(), "", rerunNow); err != nil {
							t.Fatalf("rerun: %v", err)
						}
						if usable(t, s, p) {
							usableAfter++
						} else {
							t.Errorf("after the rerun MCP_API_KEY is refused")
						}
						if (now || rerunNow) && p.accepts(old) {
							leakedAfter++
							t.Errorf("after the rerun the key rotated with --now still works")
						}
						env := readEnv(t, s)
						for _, v := range []string{"MCP_API_KEY_PENDING", "MCP_API_KEY_REVOKING"} {
							if env[v] != "" {
								t.Errorf("%s left in .env: %v", v, env)
							}
						}
					})
				}
			}
		}
	}
	t.Logf("faults injected %d; MCP_API_KEY accepted after the rerun %d; leaked key accepted %d; .env intact %d", faults, usableAfter, leakedAfter, intact)
}

// The trial: `keys rotate --now` dies right after config:set, then the user
// follows the hint with a plain `keys rotate`. The leaked key must end up refused, and
// the rerun must not push its hash back.
func TestInterruptedRotateNowThenPlainRotate(t *testing.T) {
	t.Parallel()
	p := &platform{config: map[string]string{}}
	s, leaked := newStore(t, p)
	p.failAt, p.applyThenFail = 2, true // Config, then config:set applies and the process "dies"
	if _, err := s.Rotate(context.Background(), "", true); err == nil {
		t.Fatal("no error")
	}
	p.failAt = 0
	res, err := s.Rotate(context.Background(), "", false)
	if err != nil {
		t.Fatal(err)
	}
	if p.accepts(leaked) || !res.Revoked || !res.Resumed || !usable(t, s, p) {
		t.Fatalf("leaked still accepted %v, result %+v", p.accepts(leaked), res)
	}
	if readEnv(t, s)["MCP_API_KEY_PREVIOUS"] != "" {
		t.Fatal("the leaked key was kept as _PREVIOUS")
	}
}

// Keys the app accepts that this .env has no key for (a teammate's, CI's) survive every
// key operation unless DropUnknown, and List shows them.
func TestUnknownHashesKept(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := &platform{config: map[string]string{}}
	s, _ := newStore(t, p)
	teammate, _ := Generate()
	p.config[HashesEnvVar] += "," + Hash(teammate)

	res, err := s.Rotate(ctx, "", true)
	if err != nil || !p.accepts(teammate) || len(res.Unknown.Fingerprints) != 1 || res.Unknown.Dropped {
		t.Fatalf("rotate --now: %v, teammate accepted %v, %+v", err, p.accepts(teammate), res.Unknown)
	}
	if _, err := s.New(ctx, "ci"); err != nil || !p.accepts(teammate) {
		t.Fatalf("new: %v, teammate accepted %v", err, p.accepts(teammate))
	}
	if _, err := s.Revoke(ctx, "ci"); err != nil || !p.accepts(teammate) {
		t.Fatalf("revoke: %v, teammate accepted %v", err, p.accepts(teammate))
	}
	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, k := range list {
		if k.State == "unknown" && k.Fingerprint == Fingerprint(teammate) {
			found = true
		}
	}
	if !found {
		t.Fatalf("List does not show the unknown key: %+v", list)
	}

	s.DropUnknown = true
	res, err = s.Rotate(ctx, "", false)
	if err != nil || p.accepts(teammate) || !res.Unknown.Dropped {
		t.Fatalf("rotate with DropUnknown: %v, teammate accepted %v, %+v", err, p.accepts(teammate), res.Unknown)
	}
}

// A rotation that replaces an earlier previous key drops that key, rather than keeping
// it as unknown.
func TestRotateTwiceDropsTheOldestKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := &platform{config: map[string]string{}}
	s, first := newStore(t, p)
	if _, err := s.Rotate(ctx, "", false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rotate(ctx, "", false); err != nil {
		t.Fatal(err)
	}
	if p.accepts(first) {
		t.Fatal("the key two rotations ago still works")
	}
}

// A platform call that applied but reported failure is read back, not reported as lost.
func TestAppliedButFailedIsReadBack(t *testing.T) {
	t.Parallel()
	p := &platform{config: map[string]string{}}
	s, _ := newStore(t, p)
	p.failAt, p.applyThenFail = 2, true
	p.calls = 0
	// the read-back (call 3) fails too: the state is unknown, and the error says so
	_, err := s.Rotate(context.Background(), "", false)
	if err == nil || !strings.Contains(err.Error(), "not known whether") {
		t.Fatalf("got %v", err)
	}
	// with a working read-back, the change counts as done
	p2 := &platform{config: map[string]string{}}
	s2, old := newStore(t, p2)
	p2.failSet = false
	f := &flaky{platform: p2}
	s2.Platform = f
	res, err := s2.Rotate(context.Background(), "", false)
	if err != nil || !p2.accepts(res.NewPlaintext) || !p2.accepts(old) {
		t.Fatalf("%v %+v", err, res)
	}
}

// flaky applies every SetConfig and reports it failed.
type flaky struct{ *platform }

func (f *flaky) SetConfig(ctx context.Context, vars map[string]string) error {
	_ = f.platform.SetConfig(ctx, vars)
	return fmt.Errorf("config:set: timed out")
}

// Concurrent rotations in one project serialise on the lock: every one finishes, the
// last key written works, .env parses.
func TestConcurrentRotations(t *testing.T) {
	t.Parallel()
	p := &lockedPlatform{p: &platform{config: map[string]string{}}}
	s, _ := newStore(t, p.p)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := &Store{Dir: s.Dir, Platform: p, Now: s.Now}
			_, err := st.Rotate(context.Background(), "", i%2 == 0)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !usable(t, s, p.p) {
		t.Fatal("after concurrent rotations MCP_API_KEY is refused")
	}
	if n := len(SplitHashes(p.p.config[HashesEnvVar])); n > 2 {
		t.Fatalf("the app accepts %d keys, want at most the key and its previous", n)
	}
	if _, err := os.Stat(filepath.Join(s.Dir, ".env")); err != nil {
		t.Fatal(err)
	}
}

type lockedPlatform struct {
	mu sync.Mutex
	p  *platform
}

func (l *lockedPlatform) Name() string                               { return "test" }
func (l *lockedPlatform) App() string                                { return "app" }
func (l *lockedPlatform) WebURL(ctx context.Context) (string, error) { return l.p.WebURL(ctx) }
func (l *lockedPlatform) Config(ctx context.Context) (map[string]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.p.Config(ctx)
}
func (l *lockedPlatform) SetConfig(ctx context.Context, vars map[string]string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.p.SetConfig(ctx, vars)
}
