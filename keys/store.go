// The Store manages a project's API keys: the plaintext keys live only in the project's
// .env, the deployed app holds only their hashes. Rotation keeps the old and the new key
// valid until the old one is revoked, and every step is ordered so that an interruption
// or a failing platform call never leaves the user without a working key: a rerun resumes.

package keys

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/mcpctl/mcpctl/internal/envfile"
)

// DefaultName names the project's main key, MCP_API_KEY.
const DefaultName = "default"

// Suffixes of the variables that hold a key's rotation state.
const (
	pendingSuffix  = "_PENDING"
	previousSuffix = "_PREVIOUS"
)

// Store is the key set of one project.
type Store struct {
	Dir string
	// Platform is the deployed app; nil when the project is not deployed (keys are then
	// local only).
	Platform Platform
	Now      func() time.Time
	// DropUnknown lets a change remove hashes the app accepts that match no key in .env
	// (a teammate's, CI's, another clone's); by default they are kept.
	DropUnknown bool
}

// Key describes one key; it never holds the plaintext.
type Key struct {
	Name        string    `json:"name"`
	Var         string    `json:"variable"`
	Fingerprint string    `json:"fingerprint"`
	Created     time.Time `json:"created,omitzero"`
	// State is "active", "pending" (a rotation or `keys new` not yet finished),
	// "previous" (replaced by a rotation, still accepted until revoked), "revoking" (an
	// interrupted `keys rotate --now` must still remove it: Var is NAME_REVOKING) or
	// "unknown" (the app accepts it, but no key in this .env has its hash; no Var).
	State string `json:"state"`
	// Deployed says whether the app accepts the key; nil when there is no app.
	Deployed *bool `json:"deployed,omitempty"`
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,29}$`)

// CheckName validates a key name.
func CheckName(name string) error {
	if name == DefaultName {
		return nil
	}
	if !nameRE.MatchString(name) || strings.HasSuffix(name, "-") {
		return fmt.Errorf("%q is not a valid key name: use a lowercase letter, then lowercase letters, digits or dashes (at most 30)", name)
	}
	for _, reserved := range []string{"pending", "previous", "hashes"} {
		if name == reserved || strings.HasSuffix(name, "-"+reserved) {
			return fmt.Errorf("%q is reserved for mcpctl's own use", name)
		}
	}
	return nil
}

// VarFor is the .env variable of the key called name.
func VarFor(name string) string {
	if name == "" || name == DefaultName {
		return EnvVar
	}
	return EnvVar + "_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

func (s *Store) envPath() string { return filepath.Join(s.Dir, envfile.Name) }

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func createdComment(t time.Time) string { return "created " + t.Format(time.RFC3339) }

// List returns every key in .env and, when there is an app, whether it accepts each,
// followed by the hashes the app accepts that .env has no key for (State "unknown") and
// those an interrupted `keys rotate --now` must still remove (State "revoking").
func (s *Store) List(ctx context.Context) ([]Key, error) {
	env, err := envfile.Read(s.envPath())
	if err != nil {
		return nil, err
	}
	comments, err := envfile.Comments(s.envPath())
	if err != nil {
		return nil, err
	}
	var accepted map[string]bool
	var current string
	if s.Platform != nil {
		cfg, err := s.Platform.Config(ctx)
		if err != nil {
			return nil, err
		}
		current = cfg[HashesEnvVar]
		accepted = map[string]bool{}
		for _, h := range SplitHashes(current) {
			accepted[h] = true
		}
	}
	var out []Key
	for _, v := range slices.Sorted(maps.Keys(env)) {
		if v == HashesEnvVar || (v != EnvVar && !strings.HasPrefix(v, EnvVar+"_")) || !LooksLikeKey(env[v]) {
			continue
		}
		k := Key{Var: v, Fingerprint: Fingerprint(env[v]), State: "active"}
		base := v
		switch {
		case strings.HasSuffix(v, pendingSuffix):
			k.State, base = "pending", strings.TrimSuffix(v, pendingSuffix)
		case strings.HasSuffix(v, previousSuffix):
			k.State, base = "previous", strings.TrimSuffix(v, previousSuffix)
		}
		k.Name = nameOf(base)
		k.Created = createdAt(comments[v])
		if accepted != nil {
			d := accepted[Hash(env[v])]
			k.Deployed = &d
		}
		out = append(out, k)
	}
	yes := true
	for _, v := range slices.Sorted(maps.Keys(env)) {
		if !strings.HasPrefix(v, EnvVar) || !strings.HasSuffix(v, RevokingSuffix) {
			continue
		}
		for _, h := range Revoking(map[string]string{v: env[v]}) {
			k := Key{Name: nameOf(strings.TrimSuffix(v, RevokingSuffix)), Var: v, Fingerprint: HashFingerprint(h), State: "revoking"}
			if accepted != nil {
				d := accepted[h]
				k.Deployed = &d
			}
			out = append(out, k)
		}
	}
	if s.Platform != nil {
		for _, h := range MergeHashes(current, env, nil, false).Unknown {
			out = append(out, Key{Name: "unknown", Fingerprint: HashFingerprint(h), State: "unknown", Deployed: &yes})
		}
	}
	return out, nil
}

// createdAt reads the time from a "created <RFC 3339>" comment.
func createdAt(comment string) time.Time {
	c, ok := strings.CutPrefix(comment, "created ")
	if !ok {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339, strings.Fields(c + " ")[0])
	return t
}

func nameOf(v string) string {
	if v == EnvVar {
		return DefaultName
	}
	return strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(v, EnvVar+"_"), "_", "-"))
}

// Unknown is what a change did to hashes the app accepted that match no key in .env.
type Unknown struct {
	// Fingerprints of those hashes.
	Fingerprints []string
	// Dropped is true when the change removed them (DropUnknown); else they were kept.
	Dropped bool
}

func unknownOf(m Merged) Unknown {
	u := Unknown{Dropped: m.Dropped && len(m.Unknown) > 0}
	for _, h := range m.Unknown {
		u.Fingerprints = append(u.Fingerprints, HashFingerprint(h))
	}
	return u
}

// NewResult is a created key.
type NewResult struct {
	Key       Key
	Plaintext string
	// Deployed is false when there is no app.
	Deployed bool
	// Resumed: a `keys new` whose platform call had failed was finished.
	Resumed bool
	Unknown Unknown
}

// New creates the key called name. On a deployed project the key is saved in .env as
// pending first, so a failing platform call never loses it, and becomes the key only
// once the app accepts it: a rerun finishes, and a key the app would reject is never
// handed out as if it worked.
func (s *Store) New(ctx context.Context, name string) (*NewResult, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	unlock, err := lock(ctx, s.Dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	v := VarFor(name)
	pv := v + pendingSuffix
	env, err := envfile.Read(s.envPath())
	if err != nil {
		return nil, err
	}
	if env[v] != "" {
		hint := "rotate it with `mcpctl keys rotate`"
		if name != DefaultName {
			hint = "rotate it with `mcpctl keys rotate --name " + name + "`, or choose another name"
		}
		return nil, &Error{Err: fmt.Errorf("a key called %q already exists (%s)", name, v), hint: hint}
	}
	res := &NewResult{}
	plain := env[pv]
	if plain != "" {
		res.Resumed = true
	} else {
		if plain, err = Generate(); err != nil {
			return nil, err
		}
		if s.Platform != nil {
			if err := envfile.UpdateWithComments(s.envPath(), map[string]string{pv: plain}, map[string]string{pv: createdComment(s.now())}); err != nil {
				return nil, err
			}
			env[pv] = plain
		}
	}
	comments, _ := envfile.Comments(s.envPath())
	created := createdAt(comments[pv])
	if created.IsZero() {
		created = s.now()
	}
	res.Key = Key{Name: nameOr(name), Var: v, Fingerprint: Fingerprint(plain), Created: created, State: "active"}
	if s.Platform != nil {
		m, err := s.push(ctx, env, nil)
		res.Unknown = unknownOf(m)
		if err != nil {
			return res, &Error{Err: fmt.Errorf("%s: %w", err.what("accepts the new key", "does not accept the new key"), err),
				hint: "the key is kept in .env as " + pv + " until the app has it (nothing was printed); run `mcpctl keys new" + nameFlag(name) + "` again to finish"}
		}
		res.Deployed = true
	}
	if err := envfile.UpdateWithComments(s.envPath(), map[string]string{v: plain}, map[string]string{v: createdComment(created)}, pv); err != nil {
		return res, err
	}
	res.Plaintext = plain
	return res, nil
}

func nameOr(name string) string {
	if name == "" {
		return DefaultName
	}
	return name
}

// RotateResult says what a rotation did.
type RotateResult struct {
	Name     string
	Old, New Key
	// NewPlaintext is the new key, for the caller to hand to clients.
	NewPlaintext string
	Resumed      bool // an interrupted rotation was finished
	Revoked      bool // --now (asked now, or by the interrupted rotation): the old key is no longer accepted
	Deployed     bool // the app was updated
	Unknown      Unknown
}

// Rotate replaces the key called name by a new one. Unless now is set, the old key stays
// valid (as NAME_PREVIOUS) until RevokePrevious; with now (a leaked key) it stops working
// before Rotate returns.
//
// Order: (1) .env gets the new key as pending and, with now, NAME_REVOKING: the old key's
// hash, the intent to revoke it; (2) the app accepts old and new, in one config change;
// (3) .env switches to the new key; (4) with now, the app drops the old key's hash, and
// (5) NAME_REVOKING goes. At every point the key in NAME works against the app, and a
// rerun (with or without --now) finishes what was asked: an interrupted --now is never
// downgraded into a rotation that keeps the old key.
func (s *Store) Rotate(ctx context.Context, name string, now bool) (*RotateResult, error) {
	if err := CheckName(nameOr(name)); err != nil {
		return nil, err
	}
	unlock, err := lock(ctx, s.Dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	name = nameOr(name)
	v := VarFor(name)
	pv, ov, rv := v+pendingSuffix, v+previousSuffix, v+RevokingSuffix
	env, err := envfile.Read(s.envPath())
	if err != nil {
		return nil, err
	}
	old, next := env[v], env[pv]
	if old == "" {
		hint := "create one with `mcpctl keys new" + nameFlag(name) + "`"
		if next != "" {
			hint = "an interrupted `mcpctl keys new` left it as " + pv + ": run `mcpctl keys new" + nameFlag(name) + "` to finish"
		}
		return nil, &Error{Err: fmt.Errorf("there is no key called %q (%s) in .env", name, v), hint: hint}
	}
	res := &RotateResult{Name: name, Old: Key{Name: name, Var: v, Fingerprint: Fingerprint(old)}}
	revoking := Revoking(map[string]string{rv: env[rv]})
	rerun := "run `mcpctl keys rotate" + nameFlag(name) + "` again to finish (it remembers --now)"

	if next == "" && len(revoking) > 0 {
		// Interrupted after (3): .env holds the new key; only the revoke is left.
		res.Resumed, res.Revoked = true, true
		res.Old = Key{Name: name, Var: v, Fingerprint: HashFingerprint(revoking[0])}
		res.New = Key{Name: name, Var: v, Fingerprint: Fingerprint(old), State: "active"}
		res.NewPlaintext = old
		if err := s.finishRevoke(ctx, env, rv, res, rerun); err != nil {
			return res, err
		}
		return res, nil
	}

	// (1) The successor, and the intent, are saved before anything else learns of them.
	if next != "" {
		res.Resumed = true
		now = now || slices.Contains(revoking, Hash(old))
	} else if next, err = Generate(); err != nil {
		return nil, err
	}
	set := map[string]string{pv: next}
	if now && !slices.Contains(revoking, Hash(old)) {
		set[rv] = strings.Join(append(revoking, Hash(old)), ",")
	}
	if !res.Resumed || len(set) > 1 {
		if err := envfile.UpdateWithComments(s.envPath(), set, map[string]string{pv: createdComment(s.now())}); err != nil {
			return nil, err
		}
		maps.Copy(env, set)
	}

	// (2) The app accepts old and new. A previous key that this rotation replaces (or,
	// with now, any previous key) goes in the same change.
	var drop []string
	if prev := env[ov]; prev != "" && prev != old {
		drop = append(drop, Hash(prev))
	}
	if s.Platform != nil {
		final := maps.Clone(env)
		delete(final, ov)
		m, err := s.push(ctx, final, drop)
		res.Unknown = unknownOf(m)
		if err != nil {
			return res, &Error{Err: fmt.Errorf("%s: %w", err.what("accepts the new key", "did not take the new key"), err),
				hint: "nothing is lost: " + v + " in .env still works, and the new key waits as " + pv + "; " + rerun}
		}
		res.Deployed = true
	}

	// (3) .env switches to the new key.
	set = map[string]string{v: next}
	comments := map[string]string{v: createdComment(s.now())}
	unset := []string{pv}
	if now {
		unset = append(unset, ov)
	} else {
		set[ov] = old
		// The old key keeps its creation date as the previous one.
		if c, err := envfile.Comments(s.envPath()); err == nil && c[v] != "" {
			comments[ov] = c[v]
		}
	}
	if err := envfile.UpdateWithComments(s.envPath(), set, comments, unset...); err != nil {
		return res, err
	}
	res.New = Key{Name: name, Var: v, Fingerprint: Fingerprint(next), State: "active"}
	res.NewPlaintext = next
	if !now {
		return res, nil
	}

	// (4) and (5): the old key stops working.
	res.Revoked = true
	env, err = envfile.Read(s.envPath())
	if err != nil {
		return res, err
	}
	if err := s.finishRevoke(ctx, env, rv, res, rerun); err != nil {
		return res, err
	}
	return res, nil
}

// finishRevoke removes the hashes in rv from the app, then rv from .env.
func (s *Store) finishRevoke(ctx context.Context, env map[string]string, rv string, res *RotateResult, rerun string) error {
	if s.Platform != nil {
		m, err := s.push(ctx, env, nil)
		res.Unknown = unknownOf(m)
		if err != nil {
			return &Error{Err: fmt.Errorf("%s: %w", err.what("no longer accepts the old key", "STILL ACCEPTS the old key "+res.Old.Fingerprint), err),
				hint: res.Old.Var + " in .env holds the new key, which works; " + rerun}
		}
		res.Deployed = true
	}
	return envfile.Update(s.envPath(), nil, rv)
}

// RevokePrevious stops accepting the key a rotation of name replaced.
func (s *Store) RevokePrevious(ctx context.Context, name string) (*RevokeResult, error) {
	name = nameOr(name)
	ov := VarFor(name) + previousSuffix
	return s.revoke(ctx, name, []string{ov}, ov)
}

// Revoke deletes the named key (with any rotation state) locally and on the app. The
// default key cannot be revoked, only rotated: it is what clients and `mcpctl dev` use.
func (s *Store) Revoke(ctx context.Context, name string) (*RevokeResult, error) {
	if name == DefaultName || name == "" {
		return nil, &Error{Err: errors.New("the default key cannot be revoked"), hint: "rotate it instead: `mcpctl keys rotate --now`"}
	}
	if err := CheckName(name); err != nil {
		return nil, err
	}
	v := VarFor(name)
	return s.revoke(ctx, name, []string{v, v + pendingSuffix, v + previousSuffix, v + RevokingSuffix}, v)
}

// RevokeResult is the key a revoke removed.
type RevokeResult struct {
	Key
	Unknown Unknown
}

func (s *Store) revoke(ctx context.Context, name string, vars []string, main string) (*RevokeResult, error) {
	unlock, err := lock(ctx, s.Dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	env, err := envfile.Read(s.envPath())
	if err != nil {
		return nil, err
	}
	if env[main] == "" {
		what := fmt.Sprintf("no key %q", name)
		if strings.HasSuffix(main, previousSuffix) {
			what = fmt.Sprintf("no previous key of %q (nothing to revoke: rotate first)", name)
		}
		return nil, &Error{Err: errors.New(what), hint: "see the keys with `mcpctl keys list`"}
	}
	gone := &RevokeResult{Key: Key{Name: name, Var: main, Fingerprint: Fingerprint(env[main])}}
	final := maps.Clone(env)
	var drop []string
	for _, v := range vars {
		if LooksLikeKey(env[v]) {
			drop = append(drop, Hash(env[v]))
		}
		delete(final, v)
	}
	// The app stops accepting the key first: if .env kept it and the platform call
	// failed, a rerun still finds it to revoke.
	if s.Platform != nil {
		m, err := s.push(ctx, final, drop)
		gone.Unknown = unknownOf(m)
		if err != nil {
			return nil, &Error{Err: fmt.Errorf("%s: %w", err.what("no longer accepts the key", "still accepts the key"), err), hint: "run the same command again"}
		}
	}
	if err := envfile.Update(s.envPath(), nil, vars...); err != nil {
		return nil, err
	}
	return gone, nil
}

// pushError is a failed platform change, with what reading the app back found.
type pushError struct {
	err error
	// applied: the app has the wanted hashes after all; unknown: it could not be read.
	applied, unknown bool
}

func (e *pushError) Error() string { return e.err.Error() }
func (e *pushError) Unwrap() error { return e.err }

// what phrases the app's state: ok when the change applied, failed when it did not,
// and says so when it could not be told.
func (e *pushError) what(ok, failed string) string {
	switch {
	case e.applied:
		return "the app " + ok
	case e.unknown:
		return "it is not known whether the app " + ok + " (the platform could not be read back)"
	}
	return "the app " + failed
}

// push makes the app accept every key in env, keeping hashes .env does not know unless
// s.DropUnknown, and removing those in drop. After a failed change it reads the app back:
// a call can apply and still report failure (a timeout, a dropped connection).
func (s *Store) push(ctx context.Context, env map[string]string, drop []string) (Merged, *pushError) {
	cfg, err := s.Platform.Config(ctx)
	if err != nil {
		return Merged{}, &pushError{err: err}
	}
	m := MergeHashes(cfg[HashesEnvVar], env, drop, s.DropUnknown)
	if SameHashes(cfg[HashesEnvVar], m.Value) {
		return m, nil
	}
	if err := s.Platform.SetConfig(ctx, map[string]string{HashesEnvVar: m.Value}); err != nil {
		back, rerr := s.Platform.Config(ctx)
		switch {
		case rerr != nil:
			return m, &pushError{err: err, unknown: true}
		case SameHashes(back[HashesEnvVar], m.Value):
			return m, nil // it applied after all
		}
		return m, &pushError{err: err}
	}
	return m, nil
}

func nameFlag(name string) string {
	if name == DefaultName {
		return ""
	}
	return " --name " + name
}

// Error is a key operation that could not be done, with the next step.
type Error struct {
	Err  error
	hint string
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Hint is the next thing to do.
func (e *Error) Hint() string { return e.hint }

// Platform is what the store needs of a deployed app: its config vars, read and set in
// one step. deployers.Platform satisfies it; keys stays below deployers, which imports it.
type Platform interface {
	Config(ctx context.Context) (map[string]string, error)
	SetConfig(ctx context.Context, vars map[string]string) error
}
