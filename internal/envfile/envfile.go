// Package envfile reads and edits a project's .env file. Edits change only the lines of
// the keys they touch, so the user's comments and ordering survive, and every write is
// atomic with mode 0600 because the file holds secrets.
package envfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/joho/godotenv"

	"github.com/mcpctl/mcpctl/internal/atomicfile"
)

// Name is the conventional file name.
const Name = ".env"

// Mode is the only mode mcpctl writes a .env with.
const Mode fs.FileMode = 0o600

// Read returns the variables in the file at path; a missing file is an empty set.
func Read(path string) (map[string]string, error) {
	if err := checkKind(path); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	vars, err := godotenv.UnmarshalBytes(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (fix the line or remove it)", path, err)
	}
	return vars, nil
}

var keyLine = regexp.MustCompile(`^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=`)

// Update sets and removes variables in the file at path, creating it when missing. Lines
// of other keys, comments and blank lines are kept as they are; a set key replaces its
// existing line in place or is appended.
func Update(path string, set map[string]string, unset ...string) error {
	return UpdateWithComments(path, set, nil, unset...)
}

// UpdateWithComments is Update with a comment line for some of the set variables (such as
// when a key was created), which Comments reads back. A variable that is set again gets
// its new comment; one that is unset loses it.
func UpdateWithComments(path string, set, comments map[string]string, unset ...string) error {
	for k, v := range set {
		if !validKey(k) {
			return fmt.Errorf("%q is not a valid environment variable name", k)
		}
		if strings.ContainsAny(v, "\n\r") || strings.ContainsAny(comments[k], "\n\r") {
			return fmt.Errorf("the value of %s spans lines, which .env files cannot hold safely", k)
		}
	}
	if err := checkKind(path); err != nil {
		return err
	}
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	// Refuse to rewrite a file we cannot parse: the user's data comes first.
	if _, err := godotenv.UnmarshalBytes(old); err != nil {
		return fmt.Errorf("%s: %w (fix it by hand; mcpctl did not change it)", path, err)
	}
	drop := map[string]bool{}
	for _, k := range unset {
		drop[k] = true
	}
	done := map[string]bool{}
	var out bytes.Buffer
	text := string(old)
	if text != "" && !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	for _, line := range strings.SplitAfter(text, "\n") {
		if line == "" {
			continue
		}
		if m := metaLine.FindStringSubmatch(line); m != nil {
			if _, replaced := comments[m[1]]; drop[m[1]] || replaced {
				continue
			}
		}
		m := keyLine.FindStringSubmatch(line)
		if m != nil {
			k := m[1]
			if drop[k] {
				continue
			}
			if v, ok := set[k]; ok {
				if !done[k] {
					out.WriteString(formatLine(k, v, comments[k]))
					done[k] = true
				}
				continue
			}
		}
		out.WriteString(line)
	}
	for _, k := range sortedKeys(set) {
		if !done[k] {
			out.WriteString(formatLine(k, set[k], comments[k]))
		}
	}
	if bytes.Equal(out.Bytes(), old) {
		return nil
	}
	// Always 0600, whatever the old mode was: a .env must never be readable by others.
	if err := atomicfile.WriteFile(path, out.Bytes(), Mode); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// formatLine writes a variable, after its comment line when it has one. The comment
// stays off the variable's own line because many readers of .env files (docker
// --env-file, `$(cat .env)` in a shell) would take a trailing comment as part of the value.
func formatLine(k, v, comment string) string {
	if comment != "" {
		return metaPrefix + k + " " + comment + "\n" + k + "=" + quote(v) + "\n"
	}
	return k + "=" + quote(v) + "\n"
}

const metaPrefix = "# mcpctl:"

var metaLine = regexp.MustCompile(`^# mcpctl:([A-Za-z_][A-Za-z0-9_.]*) (.*?)\s*$`)

// Comments returns the comments UpdateWithComments wrote, by variable.
func Comments(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, l := range strings.Split(string(data), "\n") {
		if m := metaLine.FindStringSubmatch(l); m != nil {
			out[m[1]] = m[2]
		}
	}
	return out, nil
}

// KindError is a .env path that holds something other than a regular file (a
// directory, a socket): nothing reads or writes it, and nothing changes its mode.
type KindError struct {
	Path string
	Mode fs.FileMode
}

func (e *KindError) Error() string {
	what := "not a regular file"
	if e.Mode.IsDir() {
		what = "a directory, not a file"
	}
	return fmt.Sprintf("%s is %s", e.Path, what)
}

// Hint says how to fix it.
func (e *KindError) Hint() string {
	return "move it out of the way (mv " + e.Path + " " + e.Path + ".old); mcpctl changed nothing"
}

// checkKind refuses a path (after symlinks) that exists and is not a regular file.
func checkKind(path string) error {
	st, err := os.Stat(path)
	if err != nil || st.Mode().IsRegular() {
		return nil // a missing file is fine; other errors show when it is read
	}
	return &KindError{Path: path, Mode: st.Mode()}
}

// CheckMode reports a .env that others than its owner can read, and a .env that is not
// a regular file (as *KindError), whose mode must not be touched.
func CheckMode(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return &KindError{Path: path, Mode: st.Mode()}
	}
	if st.Mode().Perm()&0o077 != 0 {
		return &ModeError{Path: path, Mode: st.Mode().Perm()}
	}
	return nil
}

// ModeError is a secrets file readable by group or others.
type ModeError struct {
	Path string
	Mode fs.FileMode
}

func (e *ModeError) Error() string {
	return fmt.Sprintf("%s is readable by others (mode %04o)", e.Path, e.Mode)
}

// Hint says how to fix the mode.
func (e *ModeError) Hint() string { return "run: chmod 600 " + e.Path }

func validKey(k string) bool {
	m := keyLine.FindStringSubmatch(k + "=")
	return m != nil && m[1] == k
}

// quote leaves plain values bare and double-quotes the rest the way godotenv reads them.
func quote(v string) string {
	if v != "" && !strings.ContainsAny(v, " \t\"'`#$\\=") {
		return v
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`)
	return `"` + r.Replace(v) + `"`
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
