package runner

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/fsnotify/fsnotify"
)

// What the watcher reacts to. A rebuild is cheap and the old server keeps serving during
// it, so the rules err on the side of rebuilding:
//   - Go sources (not _test.go: tests do not change the binary), go.mod, go.sum, go.work;
//   - mcpctl.toml and .env, which change the child's environment;
//   - files a server commonly embeds with //go:embed (templates, web assets, data, prompt
//     text), by extension.
//
// It ignores directories the build never reads or writes (.git and other hidden
// directories, bin, node_modules, testdata, plus Options.IgnoreDirs) and editor
// artifacts: backups (name~), Emacs locks and autosaves (.#name, #name#), Vim swap files
// and its 4913 probe, and hidden files generally (except .env).
func assetExt(ext string) bool {
	switch ext {
	case ".html", ".htm", ".css", ".js", ".mjs", ".json", ".yaml", ".yml", ".toml", ".txt",
		".md", ".sql", ".csv", ".svg", ".tmpl", ".tpl", ".gotmpl":
		return true
	}
	return false
}

// relevantFile reports whether a change to the file named base should trigger a rebuild.
func relevantFile(base string) bool {
	switch base {
	case ".env", "mcpctl.toml", "go.mod", "go.sum", "go.work", "go.work.sum":
		return true
	case "4913": // Vim probes directory writability with this name
		return false
	}
	if strings.HasPrefix(base, ".") || strings.HasPrefix(base, "#") || strings.HasSuffix(base, "~") {
		return false
	}
	ext := filepath.Ext(base)
	if ext == ".go" {
		return !strings.HasSuffix(base, "_test.go")
	}
	return assetExt(ext)
}

// watcher watches a project tree recursively. fsnotify watches single directories, so
// directories created later are added as they appear.
type watcher struct {
	root   string
	ignore map[string]bool // slash-separated paths relative to root
	fs     *fsnotify.Watcher
}

func newWatcher(root string, ignore []string) (*watcher, error) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	w := &watcher{root: root, ignore: map[string]bool{}, fs: fw}
	for _, d := range ignore {
		w.ignore[filepath.ToSlash(filepath.Clean(d))] = true
	}
	if _, err := w.addTree(root); err != nil {
		fw.Close()
		return nil, err
	}
	return w, nil
}

// ignoredDir reports whether the directory at path (absolute, inside root) is skipped.
func (w *watcher) ignoredDir(path string) bool {
	if path == w.root {
		return false
	}
	base := filepath.Base(path)
	switch {
	case strings.HasPrefix(base, "."), base == "bin", base == "node_modules", base == "testdata":
		return true
	}
	rel, err := filepath.Rel(w.root, path)
	return err != nil || w.ignore[filepath.ToSlash(rel)]
}

// addTree watches dir and every directory below it. It returns the first relevant file it
// finds, so a directory that appears already populated (mkdir -p && write, git checkout)
// still triggers a rebuild.
func (w *watcher) addTree(dir string) (string, error) {
	found := ""
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path != dir && errors.Is(err, fs.ErrNotExist) {
				return nil // removed while we walked
			}
			return err
		}
		if !d.IsDir() {
			if found == "" && relevantFile(d.Name()) {
				found = path
			}
			return nil
		}
		if w.ignoredDir(path) {
			return filepath.SkipDir
		}
		if err := w.fs.Add(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	})
	return found, err
}

// run forwards relevant changes (paths relative to root) until ctx ends, then closes the
// underlying watcher. Sends block: the supervisor always receives.
func (w *watcher) run(ctx context.Context, changes chan<- string, errs chan<- error) {
	defer w.fs.Close()
	send := func(path string) {
		rel, err := filepath.Rel(w.root, path)
		if err != nil {
			rel = path
		}
		select {
		case changes <- filepath.ToSlash(rel):
		case <-ctx.Done():
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case err, ok := <-w.fs.Errors:
			if !ok {
				return
			}
			select {
			case errs <- err:
			case <-ctx.Done():
			}
		case ev, ok := <-w.fs.Events:
			if !ok {
				return
			}
			if ev.Op == fsnotify.Chmod {
				continue
			}
			if ev.Op.Has(fsnotify.Create) {
				if fi, err := os.Lstat(ev.Name); err == nil && fi.IsDir() {
					if w.ignoredDir(ev.Name) {
						continue
					}
					found, err := w.addTree(ev.Name)
					if err != nil {
						select {
						case errs <- err:
						case <-ctx.Done():
						}
					}
					if found != "" {
						send(found)
					}
					continue
				}
			}
			if relevantFile(filepath.Base(ev.Name)) {
				send(ev.Name)
			}
		}
	}
}
