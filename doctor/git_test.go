package doctor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpctl/mcpctl/keys"
	"github.com/mcpctl/mcpctl/scaffold"
)

// A project in a folder of a larger repository: doctor says so, and its git and secret
// checks look at the folder's own files and history, not at the rest of the repository.
func TestProjectInAFolderOfALargerRepository(t *testing.T) {
	t.Parallel()
	dir, _ := generate(t, scaffold.Project{Stateless: true}, true)
	root := filepath.Dir(dir)
	// Another folder of the larger repository once held a key, since deleted.
	leaked, err := keys.Generate()
	if err != nil {
		t.Fatal(err)
	}
	write(t, root, "other/fixture.txt", "key: "+leaked+"\n")
	git(t, root, "init", "--quiet")
	commitAll(t, root, "fixture")
	if err := os.Remove(filepath.Join(root, "other", "fixture.txt")); err != nil {
		t.Fatal(err)
	}
	write(t, root, "other/readme.txt", "one\n")
	commitAll(t, root, "project and more")

	r := run(t, dir, true)
	f := wantFinding(t, r, IDGitSubfolder, SeverityInfo)
	if !strings.Contains(f.Title, "folder "+testName+" of the repository at "+root) {
		t.Errorf("subfolder finding %+v", f)
	}
	wantOnly(t, r, IDGitSubfolder)
	c, _ := r.Check(CheckGit)
	tracked := strings.Fields(git(t, dir, "ls-files"))
	if c.Status != StatusPass || !strings.Contains(c.Detail, plural(len(tracked), "tracked file")) {
		t.Errorf("git check %+v, want %d tracked files of the folder", c, len(tracked))
	}
}

// A repository without a commit fails doctor as it fails deploy.
func TestRepositoryWithoutCommit(t *testing.T) {
	t.Parallel()
	dir, _ := generate(t, scaffold.Project{Stateless: true}, true)
	git(t, dir, "init", "--quiet")
	git(t, dir, "add", "--all")
	r := run(t, dir, true)
	f := wantFinding(t, r, IDGitNoCommit, SeverityError)
	if !strings.Contains(f.Fix, "git commit") {
		t.Errorf("fix %q", f.Fix)
	}
	wantOnly(t, r, IDGitNoCommit)
}
