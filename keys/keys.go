// Package keys makes and recognises mcpctl API keys and manages a project's set of them
// (Store): in .env as plaintext, on the deployed app as hashes.
package keys

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Prefix starts every key, so that secret scanners and `mcpctl doctor` can spot a leaked one.
const Prefix = "mcpk_"

// HashPrefix starts every key hash the generated server accepts in MCP_API_KEY_HASHES.
const HashPrefix = "sha256:"

// entropyBytes is 256 bits.
const entropyBytes = 32

// keyRE matches a whole key: the prefix and 43 base64url characters (256 bits, unpadded).
var keyRE = regexp.MustCompile(`^` + Prefix + `[A-Za-z0-9_-]{43}$`)

// findRE finds keys inside other text (files, git history).
var findRE = regexp.MustCompile(Prefix + `[A-Za-z0-9_-]{43}`)

// Generate returns a new key made of 256 bits from crypto/rand.
func Generate() (string, error) {
	b := make([]byte, entropyBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("reading random bytes for a key: %w", err)
	}
	return Prefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// Hash returns the form of key that a platform may hold: "sha256:" and the hex digest.
func Hash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return HashPrefix + hex.EncodeToString(sum[:])
}

// Fingerprint is a short, safe-to-show identifier of a key: the first 8 hex digits of its hash.
func Fingerprint(key string) string {
	return strings.TrimPrefix(Hash(key), HashPrefix)[:8]
}

// LooksLikeKey reports whether s is exactly one mcpctl key.
func LooksLikeKey(s string) bool { return keyRE.MatchString(s) }

// Find returns every key found in text.
func Find(text []byte) []string {
	var found []string
	for _, m := range findRE.FindAll(text, -1) {
		found = append(found, string(m))
	}
	return found
}

// Equal compares two keys in constant time.
func Equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// Mask hides all but the prefix and the last four characters of a key, for display.
func Mask(key string) string {
	if len(key) <= len(Prefix)+4 {
		return strings.Repeat("•", len(key))
	}
	return key[:len(Prefix)] + strings.Repeat("•", 8) + key[len(key)-4:]
}

// EnvVar is the .env variable of the project's main key. Further keys (named keys, and the
// previous key during a rotation) use EnvVar + "_" + a suffix.
const EnvVar = "MCP_API_KEY"

// HashesEnvVar is the variable the server reads key hashes from.
const HashesEnvVar = "MCP_API_KEY_HASHES"

// InEnv returns every key held in a project's environment (.env): the main key and every
// MCP_API_KEY_<SUFFIX>, ordered by variable name.
func InEnv(vars map[string]string) []string {
	var names []string
	for name, v := range vars {
		if (name == EnvVar || strings.HasPrefix(name, EnvVar+"_")) && name != HashesEnvVar && LooksLikeKey(v) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = vars[n]
	}
	return out
}

// HashList is the MCP_API_KEY_HASHES value accepting every key given.
func HashList(keys []string) string {
	hashes := make([]string, len(keys))
	for i, k := range keys {
		hashes[i] = Hash(k)
	}
	return strings.Join(hashes, ",")
}

// RevokingSuffix ends the .env variable that records the hashes a key operation must still
// remove from the app (a `keys rotate --now` interrupted after .env switched to the new
// key): the intent to revoke survives the interruption, and so does nothing else of the
// old key. Its value is comma-separated hashes, never a key.
const RevokingSuffix = "_REVOKING"

// Revoking returns the hashes every *_REVOKING variable in env asks to remove.
func Revoking(env map[string]string) []string {
	var out []string
	for name, v := range env {
		if strings.HasPrefix(name, EnvVar) && strings.HasSuffix(name, RevokingSuffix) {
			for h := range strings.SplitSeq(v, ",") {
				if h = strings.TrimSpace(h); strings.HasPrefix(h, HashPrefix) {
					out = append(out, h)
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// SplitHashes parses an MCP_API_KEY_HASHES value.
func SplitHashes(v string) []string {
	var out []string
	for h := range strings.SplitSeq(v, ",") {
		if h = strings.TrimSpace(h); h != "" {
			out = append(out, h)
		}
	}
	return out
}

// HashFingerprint is Fingerprint for a key known only by its hash.
func HashFingerprint(hash string) string {
	h := strings.TrimPrefix(hash, HashPrefix)
	if len(h) > 8 {
		h = h[:8]
	}
	return h
}

// Merged is the MCP_API_KEY_HASHES an app should get, and what that does to hashes
// this .env does not know.
type Merged struct {
	Value string
	// Unknown lists the hashes the app accepted that match no key in .env (a teammate's,
	// CI's, another clone's); Dropped says whether Value leaves them out.
	Unknown []string
	Dropped bool
}

// MergeHashes computes the hashes an app should accept: every key in env, plus the
// hashes in current (the app's value now) that mcpctl does not know, unless
// dropUnknown. Hashes listed in drop, or in env's *_REVOKING variables, are removed
// unless a key in env still has them: a key the user holds keeps working.
func MergeHashes(current string, env map[string]string, drop []string, dropUnknown bool) Merged {
	ks := InEnv(env)
	var want []string
	known := map[string]bool{}
	for _, k := range ks {
		h := Hash(k)
		if !known[h] {
			want = append(want, h)
			known[h] = true
		}
	}
	gone := map[string]bool{}
	for _, h := range append(slices.Clone(drop), Revoking(env)...) {
		gone[h] = true
	}
	m := Merged{Dropped: dropUnknown}
	for _, h := range SplitHashes(current) {
		if known[h] || gone[h] {
			continue
		}
		known[h] = true
		m.Unknown = append(m.Unknown, h)
		if !dropUnknown {
			want = append(want, h)
		}
	}
	m.Value = strings.Join(want, ",")
	return m
}

// SameHashes reports whether two MCP_API_KEY_HASHES values accept the same keys.
func SameHashes(a, b string) bool {
	x, y := SplitHashes(a), SplitHashes(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}
