package gitrepo

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpctl/mcpctl/internal/executor"
)

var identity = []string{
	"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
	"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	c := exec.Command("git", args...)
	c.Dir = dir
	c.Env = append(os.Environ(), identity...)
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// monorepo makes a repository with a project in svc/weather and another folder beside
// it, each committed, and returns the root.
func monorepo(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	git(t, root, "init", "--quiet", "-b", "main")
	write(t, filepath.Join(root, "other", "secret.txt"), "not the project's\n")
	write(t, filepath.Join(root, "svc", "weather", "main.go"), "package main\n")
	git(t, root, "add", "--all")
	git(t, root, "commit", "--quiet", "-m", "one")
	return root
}

func TestFindTellsRootFromFolder(t *testing.T) {
	ctx := context.Background()
	root := monorepo(t)
	ex := executor.System{}
	top, err := Find(ctx, ex, root)
	if err != nil {
		t.Fatal(err)
	}
	if !top.IsRoot() || !top.HasCommit() {
		t.Errorf("root: %+v", top)
	}
	sub, err := Find(ctx, ex, filepath.Join(root, "svc", "weather"))
	if err != nil {
		t.Fatal(err)
	}
	if sub.IsRoot() || sub.Prefix != "svc/weather" || !strings.Contains(sub.Describe(), "folder svc/weather") {
		t.Errorf("folder: %+v (%s)", sub, sub.Describe())
	}
	if _, err := Find(ctx, ex, t.TempDir()); !errors.Is(err, ErrNotRepo) {
		t.Errorf("outside a repository: %v", err)
	}
	empty := t.TempDir()
	git(t, empty, "init", "--quiet")
	if r, err := Find(ctx, ex, empty); err != nil || r.HasCommit() {
		t.Errorf("no commit: %+v, %v", r, err)
	}
}

func TestDeployCommitHoldsOnlyTheFolderAndIsStable(t *testing.T) {
	ctx := context.Background()
	root := monorepo(t)
	dir := filepath.Join(root, "svc", "weather")
	r, err := Find(ctx, executor.System{}, dir)
	if err != nil {
		t.Fatal(err)
	}
	first, err := r.DeployCommit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if files := git(t, root, "ls-tree", "-r", "--name-only", first); files != "main.go" {
		t.Fatalf("split commit holds %q, want only main.go", files)
	}
	again, _ := r.DeployCommit(ctx)
	if again != first {
		t.Errorf("split is not stable: %s then %s", first, again)
	}
	// A change outside the folder is not the project's: nothing to commit, same split.
	write(t, filepath.Join(root, "other", "secret.txt"), "changed\n")
	if ch, err := r.Changes(ctx); err != nil || len(ch) != 0 {
		t.Errorf("changes outside the folder counted: %v %v", ch, err)
	}
	// A change inside is; committing it commits only the folder and the new split
	// descends from the old one, so the platform's branch fast-forwards.
	write(t, filepath.Join(dir, "tools.go"), "package main\n")
	if ch, _ := r.Changes(ctx); len(ch) != 1 {
		t.Fatalf("changes %v, want the new file", ch)
	}
	if err := r.StageAll(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Commit(ctx, "add tools", "."); err != nil {
		t.Fatal(err)
	}
	if st := git(t, root, "status", "--porcelain"); st != "M other/secret.txt" {
		t.Errorf("after the commit, status %q: the change outside the folder must stay uncommitted", st)
	}
	next, err := r.DeployCommit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	git(t, root, "merge-base", "--is-ancestor", first, next)
	if refs := git(t, root, "for-each-ref", "--format=%(refname)"); refs != "refs/heads/main" {
		t.Errorf("the split left refs behind: %q", refs)
	}
}

func TestCommitFailureKeepsGitsInstructions(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	git(t, dir, "init", "--quiet")
	write(t, filepath.Join(dir, "a.txt"), "a\n")
	home := t.TempDir()
	// No identity anywhere: git explains how to set one.
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", home)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("EMAIL", "")
	for _, v := range []string{"GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	r, err := Find(ctx, executor.System{}, dir)
	if err != nil {
		t.Fatal(err)
	}
	err = r.CheckIdentity(ctx)
	if err == nil {
		t.Skip("git found an identity on this machine (from the host name)")
	}
	if !strings.Contains(err.Error(), "git config --global user.email") {
		t.Errorf("git's instructions were cut: %v", err)
	}
}
