// Package keystore manages a project's API keys: the plaintext keys live only in the
// project's .env, the deployed app holds only their hashes. Rotation keeps the old and
// the new key valid until the old one is revoked, and every step is ordered so that an
// interruption or a failing platform call never leaves the user without a working key:
// a rerun resumes.
package keystore

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

	"github.com/mcpctl/mcpctl/deployers"
	"github.com/mcpctl/mcpctl/envfile"
	"github.com/mcpctl/mcpctl/keys"
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
	Platform deployers.Platform
	Now      func() time.Time
}

// Key describes one key; it never holds the plaintext.
type Key struct {
	Name        string    `json:"name"`
	Var         string    `json:"variable"`
	Fingerprint string    `json:"fingerprint"`
	Created     time.Time `json:"created,omitzero"`
	// State is "active", "pending" (a rotation not yet finished) or "previous" (replaced
	// by a rotation, still accepted until revoked).
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
		return keys.EnvVar
	}
	return keys.EnvVar + "_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

func (s *Store) envPath() string { return filepath.Join(s.Dir, envfile.Name) }

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func createdComment(t time.Time) string { return "created " + t.Format(time.RFC3339) }

// List returns every key in .env and, when there is an app, whether it accepts each.
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
	if s.Platform != nil {
		cfg, err := s.Platform.Config(ctx)
		if err != nil {
			return nil, err
		}
		accepted = map[string]bool{}
		for _, h := range strings.Split(cfg[keys.HashesEnvVar], ",") {
			accepted[strings.TrimSpace(h)] = true
		}
	}
	var out []Key
	for _, v := range slices.Sorted(maps.Keys(env)) {
		if v == keys.HashesEnvVar || (v != keys.EnvVar && !strings.HasPrefix(v, keys.EnvVar+"_")) || !keys.LooksLikeKey(env[v]) {
			continue
		}
		k := Key{Var: v, Fingerprint: keys.Fingerprint(env[v]), State: "active"}
		base := v
		switch {
		case strings.HasSuffix(v, pendingSuffix):
			k.State, base = "pending", strings.TrimSuffix(v, pendingSuffix)
		case strings.HasSuffix(v, previousSuffix):
			k.State, base = "previous", strings.TrimSuffix(v, previousSuffix)
		}
		k.Name = nameOf(base)
		if c, ok := strings.CutPrefix(comments[v], "created "); ok {
			k.Created, _ = time.Parse(time.RFC3339, c)
		}
		if accepted != nil {
			d := accepted[keys.Hash(env[v])]
			k.Deployed = &d
		}
		out = append(out, k)
	}
	return out, nil
}

func nameOf(v string) string {
	if v == keys.EnvVar {
		return DefaultName
	}
	return strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(v, keys.EnvVar+"_"), "_", "-"))
}

// NewResult is a created key.
type NewResult struct {
	Key       Key
	Plaintext string
	// Deployed is false when there is no app, or when pushing to it failed (PushErr).
	Deployed bool
	PushErr  error
}

// New creates the key called name. The key is saved in .env before the app is told,
// so a failing platform call never loses it (a later `mcpctl deploy` pushes it).
func (s *Store) New(ctx context.Context, name string) (*NewResult, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	v := VarFor(name)
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
	plain, err := keys.Generate()
	if err != nil {
		return nil, err
	}
	created := s.now()
	if err := envfile.UpdateWithComments(s.envPath(), map[string]string{v: plain}, map[string]string{v: createdComment(created)}); err != nil {
		return nil, err
	}
	env[v] = plain
	res := &NewResult{Key: Key{Name: nameOr(name), Var: v, Fingerprint: keys.Fingerprint(plain), Created: created, State: "active"}, Plaintext: plain}
	if s.Platform != nil {
		if err := s.push(ctx, env); err != nil {
			res.PushErr = err
		} else {
			res.Deployed = true
		}
	}
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
	Revoked      bool // --now: the old key is no longer accepted
	Deployed     bool // the app was updated
}

// Rotate replaces the key called name by a new one. Unless now is set, the old key stays
// valid (as NAME_PREVIOUS) until RevokePrevious; with now (a leaked key) it stops working
// in the same step.
//
// Order: (1) the new key is saved in .env as pending; (2) the app gets the hashes of the
// keys that will be valid, in one config change; (3) .env switches to the new key. An
// interruption after (1) or (2) leaves a working key in .env, and a rerun resumes.
func (s *Store) Rotate(ctx context.Context, name string, now bool) (*RotateResult, error) {
	if err := CheckName(nameOr(name)); err != nil {
		return nil, err
	}
	name = nameOr(name)
	v := VarFor(name)
	pv, ov := v+pendingSuffix, v+previousSuffix
	env, err := envfile.Read(s.envPath())
	if err != nil {
		return nil, err
	}
	old := env[v]
	if old == "" {
		return nil, &Error{Err: fmt.Errorf("there is no key called %q (%s) in .env", name, v), hint: "create one with `mcpctl keys new`" + nameFlag(name)}
	}
	res := &RotateResult{Name: name, Old: Key{Name: name, Var: v, Fingerprint: keys.Fingerprint(old)}}

	// (1) The successor is saved before anything else learns of it.
	next := env[pv]
	if next != "" {
		res.Resumed = true
	} else {
		if next, err = keys.Generate(); err != nil {
			return nil, err
		}
		if err := envfile.UpdateWithComments(s.envPath(), map[string]string{pv: next}, map[string]string{pv: createdComment(s.now())}); err != nil {
			return nil, err
		}
	}

	// (2) and (3): the final state, pushed, then written.
	final := maps.Clone(env)
	delete(final, pv)
	final[v] = next
	unset := []string{pv}
	if now {
		delete(final, ov)
		unset = append(unset, ov)
	} else {
		final[ov] = old
	}
	if s.Platform != nil {
		if err := s.push(ctx, final); err != nil {
			return res, &Error{Err: fmt.Errorf("the app did not take the new key: %w", err),
				hint: "nothing is lost: .env still holds the working key and the new one as " + pv + "; run `mcpctl keys rotate" + nameFlag(name) + "` again to finish"}
		}
		res.Deployed = true
	}
	set := map[string]string{v: next}
	comments := map[string]string{v: createdComment(s.now())}
	if !now {
		set[ov] = old
	}
	if err := envfile.UpdateWithComments(s.envPath(), set, comments, unset...); err != nil {
		return res, err
	}
	res.New = Key{Name: name, Var: v, Fingerprint: keys.Fingerprint(next), State: "active"}
	res.NewPlaintext = next
	res.Revoked = now
	return res, nil
}

// RevokePrevious stops accepting the key a rotation of name replaced.
func (s *Store) RevokePrevious(ctx context.Context, name string) (*Key, error) {
	name = nameOr(name)
	ov := VarFor(name) + previousSuffix
	return s.revoke(ctx, name, []string{ov}, ov)
}

// Revoke deletes the named key (with any rotation state) locally and on the app. The
// default key cannot be revoked, only rotated: it is what clients and `mcpctl dev` use.
func (s *Store) Revoke(ctx context.Context, name string) (*Key, error) {
	if name == DefaultName || name == "" {
		return nil, &Error{Err: errors.New("the default key cannot be revoked"), hint: "rotate it instead: `mcpctl keys rotate --now`"}
	}
	if err := CheckName(name); err != nil {
		return nil, err
	}
	v := VarFor(name)
	return s.revoke(ctx, name, []string{v, v + pendingSuffix, v + previousSuffix}, v)
}

func (s *Store) revoke(ctx context.Context, name string, vars []string, main string) (*Key, error) {
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
	gone := &Key{Name: name, Var: main, Fingerprint: keys.Fingerprint(env[main])}
	final := maps.Clone(env)
	for _, v := range vars {
		delete(final, v)
	}
	// The app stops accepting the key first: if .env kept it and the platform call
	// failed, a rerun still finds it to revoke.
	if s.Platform != nil {
		if err := s.push(ctx, final); err != nil {
			return nil, &Error{Err: fmt.Errorf("the app still accepts the key: %w", err), hint: "run the same command again"}
		}
	}
	if err := envfile.Update(s.envPath(), nil, vars...); err != nil {
		return nil, err
	}
	return gone, nil
}

// push sets the app's key hashes to those of every key in env, when they differ.
func (s *Store) push(ctx context.Context, env map[string]string) error {
	want := keys.HashList(keys.InEnv(env))
	cfg, err := s.Platform.Config(ctx)
	if err != nil {
		return err
	}
	if cfg[keys.HashesEnvVar] == want {
		return nil
	}
	return s.Platform.SetConfig(ctx, map[string]string{keys.HashesEnvVar: want})
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
