// Package gitrepo finds the git repository a project lives in, and builds the commit a
// deploy pushes: the project's own tree, also when the project is one folder of a larger
// repository (a monorepo, or a project made inside another checkout). doctor and deploy
// both read the repository through it, so they agree on what they see.
package gitrepo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/mcpctl/mcpctl/internal/executor"
)

// ErrNotRepo means the directory is in no git work tree.
var ErrNotRepo = errors.New("not a git repository")

// Repo is the repository a project directory belongs to.
type Repo struct {
	// Dir is the project directory the repository was found from.
	Dir string
	// Root is the work tree's top level.
	Root string
	// Prefix is Dir relative to Root, slash-separated, "" when the project is the root.
	Prefix string
	// Head is HEAD's commit, "" before the first commit.
	Head string

	exec executor.Executor
}

// IsRoot reports whether the project is the root of its repository.
func (r *Repo) IsRoot() bool { return r.Prefix == "" }

// HasCommit reports whether HEAD names a commit.
func (r *Repo) HasCommit() bool { return r.Head != "" }

// Describe says where the project is, for messages: "the repository at /src/app" or
// "folder svc/weather of the repository at /src/mono".
func (r *Repo) Describe() string {
	if r.IsRoot() {
		return "the repository at " + r.Root
	}
	return "folder " + r.Prefix + " of the repository at " + r.Root
}

// Error is a git command that failed, with everything git said: its own instructions
// (such as how to set user.email) are the most useful part of the message.
type Error struct {
	Args   []string
	Stderr string
	Err    error
}

func (e *Error) Error() string {
	msg := "git " + strings.Join(e.Args, " ") + " failed"
	if s := strings.TrimSpace(e.Stderr); s != "" {
		return msg + ":\n" + s
	}
	return msg + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Find returns the repository that dir is in, or ErrNotRepo.
func Find(ctx context.Context, ex executor.Executor, dir string) (*Repo, error) {
	r := &Repo{Dir: dir, exec: ex}
	res, err := r.git(ctx, dir, "rev-parse", "--show-toplevel", "--show-prefix")
	if err != nil {
		var ee *executor.ExitError
		if errors.As(err, &ee) && bytes.Contains(bytes.ToLower(ee.Stderr), []byte("not a git repository")) {
			return nil, ErrNotRepo
		}
		return nil, err
	}
	lines := strings.Split(strings.TrimRight(string(res.Stdout), "\n"), "\n")
	r.Root = filepath.FromSlash(strings.TrimSpace(lines[0]))
	if len(lines) > 1 {
		r.Prefix = strings.TrimSuffix(strings.TrimSpace(lines[1]), "/")
	}
	if res, err := r.git(ctx, dir, "rev-parse", "--verify", "--quiet", "HEAD^{commit}"); err == nil {
		r.Head = strings.TrimSpace(string(res.Stdout))
	}
	return r, nil
}

// Changes lists the uncommitted changes inside the project folder (untracked files
// included), as `git status --porcelain` lines; changes elsewhere in a larger
// repository are not the project's and are left out.
func (r *Repo) Changes(ctx context.Context) ([]string, error) {
	res, err := r.git(ctx, r.Dir, "status", "--porcelain", "--untracked-files=all", "--", ".")
	if err != nil {
		return nil, err
	}
	out := strings.TrimRight(string(res.Stdout), "\n")
	if out == "" {
		return nil, nil
	}
	return strings.Split(out, "\n"), nil
}

// CheckIdentity reports whether git can make a commit here; the error carries git's own
// instructions for setting user.name and user.email.
func (r *Repo) CheckIdentity(ctx context.Context) error {
	for _, v := range []string{"GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT"} {
		if _, err := r.git(ctx, r.Dir, "var", v); err != nil {
			return err
		}
	}
	return nil
}

// StageAll stages every change inside the project folder, and nothing outside it.
func (r *Repo) StageAll(ctx context.Context) error {
	_, err := r.git(ctx, r.Dir, "add", "--all", "--", ".")
	return err
}

// Commit commits the given paths (relative to the project) and nothing else, then
// updates Head.
func (r *Repo) Commit(ctx context.Context, message string, paths ...string) error {
	args := append([]string{"commit", "--quiet", "-m", message, "--"}, paths...)
	if _, err := r.git(ctx, r.Dir, args...); err != nil {
		return err
	}
	res, err := r.git(ctx, r.Dir, "rev-parse", "--verify", "HEAD^{commit}")
	if err != nil {
		return err
	}
	r.Head = strings.TrimSpace(string(res.Stdout))
	return nil
}

// Staged lists the paths staged in the project folder, relative to it.
func (r *Repo) Staged(ctx context.Context) ([]string, error) {
	res, err := r.git(ctx, r.Dir, "diff", "--cached", "--name-only", "--relative", "--", ".")
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(res.Stdout)), nil
}

// Unstage takes a path back out of the index.
func (r *Repo) Unstage(ctx context.Context, path string) error {
	_, err := r.git(ctx, r.Dir, "reset", "--quiet", "--", path)
	return err
}

// DeployCommit returns the commit whose tree is the project's own: HEAD for a project at
// the root; for a project in a folder, `git subtree split` of that folder. The split
// keeps the folder's history and gives the same commits for the same history, so each
// deploy fast-forwards the platform's branch and a redeploy without change pushes
// nothing. No ref, remote or file of the repository changes.
func (r *Repo) DeployCommit(ctx context.Context) (string, error) {
	if !r.HasCommit() {
		return "", errors.New("the repository has no commit yet")
	}
	if r.IsRoot() {
		return r.Head, nil
	}
	res, err := r.git(ctx, r.Root, "subtree", "split", "-q", "--prefix="+r.Prefix, r.Head)
	if err != nil {
		return "", err
	}
	lines := strings.Fields(string(res.Stdout))
	if len(lines) == 0 {
		return "", fmt.Errorf("git subtree split --prefix=%s printed no commit: the folder has never been committed", r.Prefix)
	}
	return lines[len(lines)-1], nil
}

func (r *Repo) git(ctx context.Context, dir string, args ...string) (executor.Result, error) {
	argv := append([]string{"-c", "core.quotepath=off"}, args...)
	res, err := r.exec.Run(ctx, executor.Cmd{Name: "git", Args: argv, Dir: dir})
	if err != nil {
		var ee *executor.ExitError
		if errors.As(err, &ee) {
			return res, &Error{Args: args, Stderr: string(ee.Stderr), Err: err}
		}
		return res, err
	}
	return res, nil
}
