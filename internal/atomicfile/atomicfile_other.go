//go:build !windows

// Package atomicfile replaces files in one rename, so a reader (or a crash) never sees
// half a file: renameio where it works, temp file and rename on Windows.
package atomicfile

import (
	"io/fs"

	"github.com/google/renameio/v2"
)

// WriteFile replaces path (or, when path is a symlink, its target) with data in one
// rename, with exactly mode as its permissions (renameio.WriteFile would keep an
// existing file's mode instead).
func WriteFile(path string, data []byte, mode fs.FileMode) error {
	path, err := Target(path)
	if err != nil {
		return err
	}
	t, err := renameio.NewPendingFile(path, renameio.WithPermissions(mode), renameio.WithStaticPermissions(mode))
	if err != nil {
		return err
	}
	defer t.Cleanup()
	if _, err := t.Write(data); err != nil {
		return err
	}
	return t.CloseAtomicallyReplace()
}
