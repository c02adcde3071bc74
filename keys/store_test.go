package keys

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpctl/mcpctl/internal/envfile"
)

// platform is an in-memory app whose config calls can be made to fail.
type platform struct {
	config  map[string]string
	failSet bool
	failGet bool
	sets    int

	// failAt makes the failAt-th call (1-based, Config or SetConfig) fail; with
	// applyThenFail a SetConfig applies first. From then on every call fails, as when
	// the process died there.
	failAt        int
	applyThenFail bool
	calls         int
}

func (p *platform) Name() string                           { return "test" }
func (p *platform) App() string                            { return "app" }
func (p *platform) WebURL(context.Context) (string, error) { return "https://app.example.com/", nil }

// fault reports whether this call fails, counting it.
func (p *platform) fault() bool {
	p.calls++
	return p.failAt > 0 && p.calls >= p.failAt
}

func (p *platform) Config(context.Context) (map[string]string, error) {
	if p.failGet || p.fault() {
		return nil, errors.New("platform unreachable")
	}
	out := map[string]string{}
	for k, v := range p.config {
		out[k] = v
	}
	return out, nil
}
func (p *platform) SetConfig(_ context.Context, vars map[string]string) error {
	faulted := p.fault()
	if p.failSet || faulted && !(p.applyThenFail && p.calls == p.failAt) {
		return errors.New("config:set failed")
	}
	p.sets++
	for k, v := range vars {
		p.config[k] = v
	}
	if faulted {
		return errors.New("config:set: connection reset")
	}
	return nil
}

// accepts reports whether the app would take key.
func (p *platform) accepts(key string) bool {
	return slices.Contains(strings.Split(p.config[HashesEnvVar], ","), Hash(key))
}

func newStore(t *testing.T, plat *platform) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	k, _ := Generate()
	if err := envfile.Update(filepath.Join(dir, ".env"), map[string]string{"MCP_API_KEY": k, "OTHER": "keep"}); err != nil {
		t.Fatal(err)
	}
	if plat != nil {
		plat.config[HashesEnvVar] = Hash(k)
	}
	s := &Store{Dir: dir, Now: func() time.Time { return time.Date(2026, 11, 22, 1, 2, 3, 0, time.UTC) }}
	if plat != nil {
		s.Platform = plat
	}
	return s, k
}

func readEnv(t *testing.T, s *Store) map[string]string {
	t.Helper()
	env, err := envfile.Read(filepath.Join(s.Dir, ".env"))
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// usable reports whether .env's main key works against the app: what a client with
// the key from .env would experience (dev, check and clients read only MCP_API_KEY).
func usable(t *testing.T, s *Store, p *platform) bool {
	t.Helper()
	env := readEnv(t, s)
	return p.accepts(env["MCP_API_KEY"])
}

func TestRotateKeepsOldValidUntilRevoke(t *testing.T) {
	t.Parallel()
	p := &platform{config: map[string]string{}}
	s, old := newStore(t, p)
	res, err := s.Rotate(context.Background(), "", false)
	if err != nil {
		t.Fatal(err)
	}
	env := readEnv(t, s)
	if env["MCP_API_KEY"] != res.NewPlaintext || env["MCP_API_KEY_PREVIOUS"] != old || env["OTHER"] != "keep" {
		t.Fatalf(".env after rotate: %v", env)
	}
	if _, ok := env["MCP_API_KEY_PENDING"]; ok {
		t.Fatal("pending key left behind")
	}
	if !p.accepts(old) || !p.accepts(res.NewPlaintext) || p.sets != 1 {
		t.Fatalf("during rotation: old %v new %v sets %d (want both accepted in one change)", p.accepts(old), p.accepts(res.NewPlaintext), p.sets)
	}
	if _, err := s.RevokePrevious(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	if p.accepts(old) || !p.accepts(res.NewPlaintext) {
		t.Fatal("after revoke the old key still works, or the new one does not")
	}
	if _, ok := readEnv(t, s)["MCP_API_KEY_PREVIOUS"]; ok {
		t.Fatal("previous key still in .env")
	}
	if _, err := s.RevokePrevious(context.Background(), ""); err == nil {
		t.Fatal("revoking twice succeeded")
	}
}

func TestRotateNowRevokesAtOnce(t *testing.T) {
	t.Parallel()
	p := &platform{config: map[string]string{}}
	s, old := newStore(t, p)
	res, err := s.Rotate(context.Background(), "", true)
	if err != nil {
		t.Fatal(err)
	}
	if p.accepts(old) || !p.accepts(res.NewPlaintext) || !res.Revoked {
		t.Fatal("--now left the old key valid")
	}
	if _, ok := readEnv(t, s)["MCP_API_KEY_PREVIOUS"]; ok {
		t.Fatal("--now kept the old key in .env")
	}
}

// An interruption at each step leaves a working key, and a rerun finishes the job.
func TestRotateFailingPlatformResumes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		fail func(p *platform)
	}{
		{"config read fails", func(p *platform) { p.failGet = true }},
		{"config write fails", func(p *platform) { p.failSet = true }},
	} {
		for _, now := range []bool{false, true} {
			t.Run(tc.name, func(t *testing.T) {
				p := &platform{config: map[string]string{}}
				s, old := newStore(t, p)
				tc.fail(p)
				_, err := s.Rotate(context.Background(), "", now)
				var kerr *Error
				if !errors.As(err, &kerr) || !strings.Contains(kerr.Hint(), "again") {
					t.Fatalf("got %v, want an error that says to run again", err)
				}
				env := readEnv(t, s)
				if env["MCP_API_KEY"] != old || env["MCP_API_KEY_PENDING"] == "" || !usable(t, s, p) {
					t.Fatalf("after the failure .env is %v", env)
				}
				pending := env["MCP_API_KEY_PENDING"]
				p.failGet, p.failSet = false, false
				res, err := s.Rotate(context.Background(), "", now)
				if err != nil {
					t.Fatal(err)
				}
				if !res.Resumed || res.NewPlaintext != pending || !p.accepts(pending) || !usable(t, s, p) {
					t.Fatalf("rerun did not resume with the pending key: %+v", res)
				}
			})
		}
	}
}

// A crash after the platform took the change but before .env was switched: the rerun
// must converge without another platform change being needed.
func TestRotateCrashAfterPush(t *testing.T) {
	t.Parallel()
	p := &platform{config: map[string]string{}}
	s, old := newStore(t, p)
	next, _ := Generate()
	envfile.Update(filepath.Join(s.Dir, ".env"), map[string]string{"MCP_API_KEY_PENDING": next})
	p.config[HashesEnvVar] = HashList([]string{old, next})
	if !usable(t, s, p) {
		t.Fatal("the crash state has no working key")
	}
	res, err := s.Rotate(context.Background(), "", false)
	if err != nil || res.NewPlaintext != next {
		t.Fatalf("%v %+v", err, res)
	}
	if !p.accepts(old) || !p.accepts(next) {
		t.Fatal("resume dropped a key")
	}
}

func TestNamedKeys(t *testing.T) {
	t.Parallel()
	p := &platform{config: map[string]string{}}
	s, main := newStore(t, p)
	res, err := s.New(context.Background(), "alice")
	if err != nil || !res.Deployed {
		t.Fatalf("%v %+v", err, res)
	}
	if readEnv(t, s)["MCP_API_KEY_ALICE"] != res.Plaintext || !p.accepts(res.Plaintext) || !p.accepts(main) {
		t.Fatal("named key not saved or not accepted alongside the main key")
	}
	if _, err := s.New(context.Background(), "alice"); err == nil {
		t.Fatal("a second alice was created")
	}
	list, err := s.List(context.Background())
	if err != nil || len(list) != 2 {
		t.Fatalf("%v %+v", err, list)
	}
	for _, k := range list {
		if k.Deployed == nil || !*k.Deployed {
			t.Errorf("%s not shown as deployed", k.Name)
		}
		if k.Name == "alice" && !k.Created.Equal(time.Date(2026, 11, 22, 1, 2, 3, 0, time.UTC)) {
			t.Errorf("created %v", k.Created)
		}
	}
	if _, err := s.Revoke(context.Background(), "alice"); err != nil {
		t.Fatal(err)
	}
	if p.accepts(res.Plaintext) || !p.accepts(main) {
		t.Fatal("revoke of alice did not remove only alice")
	}
	if _, err := s.Revoke(context.Background(), "default"); err == nil {
		t.Fatal("the default key was revoked")
	}
}

// A key the app does not accept is never handed out as working: New fails, keeps the
// key pending in .env (nothing lost), and a rerun finishes once the platform works.
func TestNewFailsAndKeepsPendingWhenThePlatformFails(t *testing.T) {
	t.Parallel()
	p := &platform{config: map[string]string{}, failSet: true}
	s, _ := newStore(t, p)
	res, err := s.New(context.Background(), "ci")
	var kerr *Error
	if !errors.As(err, &kerr) || !strings.Contains(kerr.Hint(), "keys new --name ci") || res.Plaintext != "" {
		t.Fatalf("got %v %+v, want an error that says to rerun and no plaintext", err, res)
	}
	env := readEnv(t, s)
	pending := env["MCP_API_KEY_CI_PENDING"]
	if pending == "" || env["MCP_API_KEY_CI"] != "" {
		t.Fatalf(".env after the failure: %v", env)
	}
	p.failSet = false
	res, err = s.New(context.Background(), "ci")
	if err != nil || !res.Resumed || res.Plaintext != pending || !p.accepts(pending) {
		t.Fatalf("rerun: %v %+v", err, res)
	}
	env = readEnv(t, s)
	if env["MCP_API_KEY_CI"] != pending || env["MCP_API_KEY_CI_PENDING"] != "" {
		t.Fatalf(".env after the rerun: %v", env)
	}
}

func TestLocalOnly(t *testing.T) {
	t.Parallel()
	s, old := newStore(t, nil)
	res, err := s.Rotate(context.Background(), "", false)
	if err != nil || res.Deployed {
		t.Fatalf("%v %+v", err, res)
	}
	list, _ := s.List(context.Background())
	if len(list) != 2 || list[0].Deployed != nil {
		t.Fatalf("%+v", list)
	}
	if readEnv(t, s)["MCP_API_KEY_PREVIOUS"] != old {
		t.Fatal("previous key not kept")
	}
	st, _ := os.Stat(filepath.Join(s.Dir, ".env"))
	if st.Mode().Perm() != 0o600 {
		t.Fatalf(".env mode %o", st.Mode().Perm())
	}
}

func TestCheckName(t *testing.T) {
	t.Parallel()
	for name, ok := range map[string]bool{"alice": true, "ci-bot": true, "default": true, "Alice": false, "a_b": false, "pending": false, "x-previous": false, "": false} {
		if (CheckName(name) == nil) != ok {
			t.Errorf("CheckName(%q) ok=%v", name, !ok)
		}
	}
}
