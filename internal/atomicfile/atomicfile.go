package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Target is the file a write to path lands in: path with every symlink followed, even a
// dangling one (the write creates its target). Writing to the target, not over the link,
// keeps a symlinked file (a .env shared between checkouts, a dotfiles-managed client
// config) a link, with the new content where the link points.
func Target(path string) (string, error) {
	cur := path
	for range 40 {
		st, err := os.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			return cur, nil
		}
		if err != nil {
			return "", err
		}
		if st.Mode()&fs.ModeSymlink == 0 {
			return cur, nil
		}
		dest, err := os.Readlink(cur)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(cur), dest)
		}
		cur = dest
	}
	return "", fmt.Errorf("%s: too many levels of symbolic links", path)
}
