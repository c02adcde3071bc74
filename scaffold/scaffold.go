// Package scaffold renders a template set into a new project directory. It plans first
// (render everything in memory, validate every target path), then applies: it never
// overwrites or deletes a file it did not create, and it removes what it created when a
// later step fails.
package scaffold

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"text/template"
)

// TemplateSuffix marks template sources, so Go tooling ignores them in the template tree.
const TemplateSuffix = ".tmpl"

// File is one rendered file of a plan. Path is slash-separated and relative to the
// project root.
type File struct {
	Path string
	Mode fs.FileMode
	Data []byte
}

// Plan is a fully rendered project, not yet written.
type Plan struct {
	Files []File
}

// Render renders every file of the template set fsys against vars. File names ending in
// .tmpl lose the suffix; a path element of the form __Field__ is replaced by that field
// of renames. Templates fail on a missing key, and every target path must stay inside
// the project.
func Render(fsys fs.FS, vars any, renames map[string]string) (*Plan, error) {
	var plan Plan
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("template %s: not a regular file", p)
		}
		src, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		target, err := targetPath(p, renames)
		if err != nil {
			return fmt.Errorf("template %s: %w", p, err)
		}
		data := src
		if strings.HasSuffix(p, TemplateSuffix) {
			t, err := template.New(p).Option("missingkey=error").Parse(string(src))
			if err != nil {
				return fmt.Errorf("template %s: %w", p, err)
			}
			var buf bytes.Buffer
			if err := t.Execute(&buf, vars); err != nil {
				return fmt.Errorf("template %s: %w", p, err)
			}
			data = buf.Bytes()
		}
		plan.Files = append(plan.Files, File{Path: target, Mode: 0o644, Data: data})
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := 1; i < len(plan.Files); i++ {
		if plan.Files[i].Path == plan.Files[i-1].Path {
			return nil, fmt.Errorf("two templates render to %s", plan.Files[i].Path)
		}
	}
	return &plan, nil
}

func targetPath(p string, renames map[string]string) (string, error) {
	p = strings.TrimSuffix(p, TemplateSuffix)
	parts := strings.Split(p, "/")
	for i, el := range parts {
		if strings.HasPrefix(el, "__") && strings.HasSuffix(el, "__") && len(el) > 4 {
			v, ok := renames[el[2:len(el)-2]]
			if !ok {
				return "", fmt.Errorf("no value for %s in the file name", el)
			}
			parts[i] = v
		}
	}
	p = strings.Join(parts, "/")
	if err := CheckRelPath(p); err != nil {
		return "", err
	}
	return p, nil
}

// CheckRelPath refuses paths that would leave the project directory.
func CheckRelPath(p string) error {
	if p == "" || path.IsAbs(p) || filepath.IsAbs(p) || strings.Contains(p, `\`) || !filepath.IsLocal(filepath.FromSlash(p)) || path.Clean(p) != p {
		return fmt.Errorf("%q is not a path inside the project", p)
	}
	return nil
}

// Add puts an extra file (one not from the template set) into the plan.
func (p *Plan) Add(f File) error {
	if err := CheckRelPath(f.Path); err != nil {
		return err
	}
	for _, g := range p.Files {
		if g.Path == f.Path {
			return fmt.Errorf("%s is planned twice", f.Path)
		}
	}
	p.Files = append(p.Files, f)
	return nil
}

// NotEmptyError is returned when the target directory already has content.
type NotEmptyError struct {
	Dir     string
	Entries []string
}

func (e *NotEmptyError) Error() string {
	shown := e.Entries
	if len(shown) > 5 {
		shown = append(slices.Clone(shown[:5]), "…")
	}
	return fmt.Sprintf("%s is not empty (it has %s); mcpctl init never overwrites files", e.Dir, strings.Join(shown, ", "))
}

// Hint names the way out.
func (e *NotEmptyError) Hint() string {
	return "choose a new directory: mcpctl init NEW-DIR"
}

// Apply writes the plan into dir, which must be absent or empty. On any error it removes
// every file and directory it created and leaves everything else as it was.
func Apply(dir string, plan *Plan) (err error) {
	var created []string // in creation order; removed in reverse on failure
	defer func() {
		if err != nil {
			for i := len(created) - 1; i >= 0; i-- {
				_ = os.Remove(created[i])
			}
		}
	}()
	switch st, statErr := os.Stat(dir); {
	case errors.Is(statErr, fs.ErrNotExist):
		if err := mkdirAll(dir, &created); err != nil {
			return err
		}
	case statErr != nil:
		return statErr
	case !st.IsDir():
		return fmt.Errorf("%s exists and is not a directory", dir)
	default:
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		if len(entries) > 0 {
			names := make([]string, len(entries))
			for i, e := range entries {
				names[i] = e.Name()
			}
			return &NotEmptyError{Dir: dir, Entries: names}
		}
	}
	for _, f := range plan.Files {
		target := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := mkdirAll(filepath.Dir(target), &created); err != nil {
			return err
		}
		if err := writeNew(target, f.Data, f.Mode); err != nil {
			return err
		}
		created = append(created, target)
	}
	return nil
}

// mkdirAll creates dir and its missing parents, recording each one it made.
func mkdirAll(dir string, created *[]string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := mkdirAll(filepath.Dir(dir), created); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil
		}
		return err
	}
	*created = append(*created, dir)
	return nil
}

// writeNew writes a file that must not exist yet: content goes to a temporary file first,
// which is then linked into place, so the target is either absent or complete and an
// existing file is never replaced.
func writeNew(target string, data []byte, mode fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(target), ".mcpctl-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), target); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s already exists; mcpctl never overwrites files", target)
		}
		return err
	}
	return nil
}
