package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileSetsExactMode(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	os.WriteFile(p, []byte("old"), 0o644)
	if err := WriteFile(p, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(p)
	st, _ := os.Stat(p)
	if string(data) != "new" || st.Mode().Perm() != 0o600 {
		t.Fatalf("content %q mode %o", data, st.Mode().Perm())
	}
	if entries, _ := os.ReadDir(filepath.Dir(p)); len(entries) != 1 {
		t.Fatalf("left %d files", len(entries))
	}
}

// A symlinked file stays a link: the new content lands in its target, atomically.
func TestWriteFileThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "shared", "env")
	os.MkdirAll(filepath.Dir(target), 0o755)
	os.WriteFile(target, []byte("old"), 0o600)
	link := filepath.Join(dir, ".env")
	if err := os.Symlink(filepath.Join("shared", "env"), link); err != nil {
		t.Skip(err)
	}
	if err := WriteFile(link, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Lstat(link); st.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the link was replaced by a file")
	}
	if data, _ := os.ReadFile(target); string(data) != "new" {
		t.Fatalf("target holds %q", data)
	}
	// a dangling link gets its target created
	dangling := filepath.Join(dir, "d")
	os.Symlink("nowhere", dangling)
	if err := WriteFile(dangling, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "nowhere")); string(data) != "x" {
		t.Fatalf("dangling target holds %q", data)
	}
	// a loop is an error, not a hang
	os.Symlink("loop2", filepath.Join(dir, "loop1"))
	os.Symlink("loop1", filepath.Join(dir, "loop2"))
	if err := WriteFile(filepath.Join(dir, "loop1"), []byte("x"), 0o600); err == nil {
		t.Fatal("wrote through a symlink loop")
	}
}
