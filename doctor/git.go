package doctor

import (
	"bytes"
	"context"
	"errors"

	"github.com/mcpctl/mcpctl/config"
	"github.com/mcpctl/mcpctl/gitrepo"
	"github.com/mcpctl/mcpctl/internal/executor"
)

// gitState is what doctor learned from git, once per run.
type gitState struct {
	missing bool          // git is not installed
	repo    bool          // dir is inside a work tree
	info    *gitrepo.Repo // where: the root, the project's folder in it, HEAD
	tracked []string      // the project folder's tracked files, relative to it
	err     error         // a git command failed unexpectedly
}

// git runs git in the project directory. Paths are printed unquoted so that names with
// non-ASCII characters come back as they are.
func (p *project) gitRun(ctx context.Context, args ...string) (executor.Result, error) {
	return runGit(ctx, p.exec, p.dir, args...)
}

func runGit(ctx context.Context, ex executor.Executor, dir string, args ...string) (executor.Result, error) {
	argv := append([]string{"-c", "core.quotepath=off"}, args...)
	return ex.Run(ctx, executor.Cmd{Name: "git", Args: argv, Dir: dir})
}

func loadGit(ctx context.Context, ex executor.Executor, dir string) gitState {
	var g gitState
	if _, err := ex.LookPath("git"); err != nil {
		g.missing = true
		return g
	}
	// The same lookup deploy makes, so that both see the same repository.
	info, err := gitrepo.Find(ctx, ex, dir)
	if err != nil {
		// Not a repository is reported as such; anything else with git's own words.
		if !errors.Is(err, gitrepo.ErrNotRepo) {
			g.err = err
		}
		return g
	}
	g.repo, g.info = true, info
	res, err := runGit(ctx, ex, dir, "ls-files", "-z", "--cached")
	if err != nil {
		g.err = err
		return g
	}
	for _, f := range bytes.Split(res.Stdout, []byte{0}) {
		if len(f) > 0 {
			g.tracked = append(g.tracked, string(f))
		}
	}
	return g
}

// checkGit reports a project outside git: deploys push with git, and the secret checks
// have nothing to look at.
func checkGit(_ context.Context, p *project) outcome {
	g := p.git
	switch {
	case g.missing:
		return outcome{findings: []Finding{{
			ID: IDGitMissing, Severity: SeverityWarning,
			Title:  "git is not installed",
			Detail: "mcpctl deploy heroku pushes with git, and doctor uses git to check that .env and keys stay out of the repository; those checks were skipped.",
			Fix:    "install git (https://git-scm.com/downloads) and run mcpctl doctor again",
		}}}
	case g.err != nil:
		return outcome{findings: []Finding{{
			ID: IDGitNoRepo, Severity: SeverityWarning,
			Title:  "git failed in " + p.dir,
			Detail: g.err.Error(),
			Fix:    "run `git status` in the project to see what is wrong with the repository",
		}}}
	case !g.repo:
		return outcome{findings: []Finding{{
			ID: IDGitNoRepo, Severity: SeverityWarning,
			Title:  "not a git repository",
			Detail: "mcpctl deploy heroku deploys what is committed, with git push; the checks that keep .env and keys out of git were skipped.",
			Fix:    "git init && git add --all && git commit -m \"Initial commit\"   (.gitignore keeps .env out)",
		}}}
	}
	var fs []Finding
	if !g.info.HasCommit() {
		fs = append(fs, Finding{
			ID: IDGitNoCommit, Severity: SeverityError,
			Title:  g.info.Describe() + " has no commit yet",
			Detail: "mcpctl deploy heroku deploys what is committed, and refuses a repository without a commit.",
			Fix:    "git add --all && git commit -m \"Initial commit\"   (.gitignore keeps .env out)",
		})
	}
	if !g.info.IsRoot() {
		fs = append(fs, Finding{
			ID: IDGitSubfolder, Severity: SeverityInfo,
			Title: "the project is " + g.info.Describe(),
			Detail: "doctor checks only this folder's files and history. mcpctl deploy heroku pushes only this folder " +
				"(its git subtree split, to the app's git URL) and adds no remote; it commits there only the app name it " +
				"records in " + config.FileName + " (and, with --yes, the folder's uncommitted changes).",
			Fix: "nothing to fix if the larger repository is meant to hold the project; otherwise move the folder out and `git init` it",
		})
	}
	return outcome{findings: fs, detail: plural(len(g.tracked), "tracked file") + " in " + g.info.Describe()}
}
