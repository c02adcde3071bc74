package envfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUpdateKeepsCommentsAndOrder(t *testing.T) {
	p := filepath.Join(t.TempDir(), ".env")
	orig := "# my secrets\nFOO=1\n\nMCP_API_KEY=old # inline\nexport BAR=\"two words\"\n"
	os.WriteFile(p, []byte(orig), 0o644)
	if err := Update(p, map[string]string{"MCP_API_KEY": "new", "ZED": "a b"}, "FOO"); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	want := "# my secrets\n\nMCP_API_KEY=new\nexport BAR=\"two words\"\nZED=\"a b\"\n"
	if string(got) != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != Mode {
		t.Errorf("mode %o, want 600", st.Mode().Perm())
	}
	vars, err := Read(p)
	if err != nil || vars["ZED"] != "a b" || vars["BAR"] != "two words" || vars["MCP_API_KEY"] != "new" {
		t.Fatalf("Read = %v, %v", vars, err)
	}
}

func TestUpdateCreatesAndQuotes(t *testing.T) {
	p := filepath.Join(t.TempDir(), ".env")
	val := `it's "quoted" $HOME \n`
	if err := Update(p, map[string]string{"A": val}); err != nil {
		t.Fatal(err)
	}
	vars, _ := Read(p)
	if vars["A"] != val {
		t.Fatalf("round trip: %q != %q", vars["A"], val)
	}
}

func TestUpdateRefusesBadInput(t *testing.T) {
	p := filepath.Join(t.TempDir(), ".env")
	if err := Update(p, map[string]string{"1BAD": "x"}); err == nil {
		t.Error("accepted an invalid name")
	}
	if err := Update(p, map[string]string{"A": "x\ny"}); err == nil {
		t.Error("accepted a multi-line value")
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Error("a refused update created the file")
	}
}

func TestCheckMode(t *testing.T) {
	p := filepath.Join(t.TempDir(), ".env")
	os.WriteFile(p, []byte("A=1\n"), 0o644)
	if err := CheckMode(p); err == nil {
		t.Fatal("0644 not reported")
	}
	os.Chmod(p, 0o600)
	if err := CheckMode(p); err != nil {
		t.Fatal(err)
	}
}

func TestComments(t *testing.T) {
	p := filepath.Join(t.TempDir(), ".env")
	os.WriteFile(p, []byte("# header\nA=1\nB=\"x y\" # keep me\n"), 0o600)
	if err := UpdateWithComments(p, map[string]string{"C": "mcpk_abc", "D": "d"}, map[string]string{"C": "created 2026-11-22T00:00:00Z", "D": "old"}); err != nil {
		t.Fatal(err)
	}
	if err := UpdateWithComments(p, map[string]string{"D": "d2"}, map[string]string{"D": "new"}, "C"); err != nil {
		t.Fatal(err)
	}
	got, _ := Comments(p)
	if got["D"] != "new" || got["C"] != "" || len(got) != 1 {
		t.Fatalf("Comments = %v", got)
	}
	data, _ := os.ReadFile(p)
	want := "# header\nA=1\nB=\"x y\" # keep me\n# mcpctl:D new\nD=d2\n"
	if string(data) != want {
		t.Fatalf("file\n%s\nwant\n%s", data, want)
	}
	// Every variable line holds only its value: shells and docker read it as is.
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "D=") && line != "D=d2" {
			t.Fatalf("line %q carries more than the value", line)
		}
	}
}

// A .env that is a directory is refused by every entry point, and its mode untouched.
func TestDirectoryIsRefused(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, ".env")
	if err := os.Mkdir(p, 0o755); err != nil {
		t.Fatal(err)
	}
	var kind *KindError
	if _, err := Read(p); !errors.As(err, &kind) {
		t.Fatalf("Read: %v", err)
	}
	if err := Update(p, map[string]string{"A": "b"}); !errors.As(err, &kind) {
		t.Fatalf("Update: %v", err)
	}
	if err := CheckMode(p); !errors.As(err, &kind) {
		t.Fatalf("CheckMode: %v", err)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o755 || !st.IsDir() {
		t.Fatalf("mode now %v", st.Mode())
	}
}

// Keys written to a symlinked .env go to the link's target; the link stays.
func TestUpdateThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.env")
	os.WriteFile(target, []byte("A=1\n"), 0o600)
	link := filepath.Join(dir, ".env")
	if err := os.Symlink("real.env", link); err != nil {
		t.Skip(err)
	}
	if err := Update(link, map[string]string{"B": "2"}); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Lstat(link); st.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the link became a file")
	}
	if vars, _ := Read(target); vars["A"] != "1" || vars["B"] != "2" {
		t.Fatalf("target: %v", vars)
	}
}
