package doctor

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/mcpctl/mcpctl/internal/envfile"
	"github.com/mcpctl/mcpctl/internal/executor"
	"github.com/mcpctl/mcpctl/keys"
)

// mcpctlKey is the kind of the project's own API keys.
const mcpctlKey = "an mcpctl API key"

// secretPattern is a kind of secret with a recognisable shape. The patterns are few and
// precise on purpose: a doctor that cries wolf gets ignored.
type secretPattern struct {
	kind   string // with its article, for messages
	re     *regexp.Regexp
	prefix int // characters of the match that are a public prefix, not secret
}

var secretPatterns = []secretPattern{
	{"a private key", regexp.MustCompile(`-----BEGIN (?:(?:RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY(?: BLOCK)?-----`), 0},
	{"an API secret key (sk-…)", regexp.MustCompile(`\bsk-(?:ant-|proj-|svcacct-)?[A-Za-z0-9_-]{32,}`), 3},
	{"a Stripe live key", regexp.MustCompile(`\b[sr]k_live_[A-Za-z0-9]{24,}`), 8},
	{"a GitHub token", regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})`), 4},
	{"an AWS access key ID", regexp.MustCompile(`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`), 4},
}

// historyFilter is a POSIX extended regular expression that matches a superset of the
// patterns above, for git log -G: git picks the commits, Go then looks closer.
const historyFilter = keys.Prefix + `[A-Za-z0-9_-]{43}|-----BEGIN [A-Z ]*PRIVATE KEY|sk-[A-Za-z0-9_-]{20}|[sr]k_live_[A-Za-z0-9]{24}|gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{22}|A[KS]IA[0-9A-Z]{16}`

// pemBodyRE is the base64 body a real private key block has; documentation that only
// shows the BEGIN line has none.
var pemBodyRE = regexp.MustCompile(`[A-Za-z0-9+/]{40,}`)

// secret is one secret found in some text.
type secret struct {
	kind  string
	value string // never printed
	shown string // safe to print
	line  int
}

// findSecrets returns the secrets in text, leaving out obvious placeholders.
func findSecrets(text []byte) []secret {
	var out []secret
	for _, k := range keys.Find(text) {
		if placeholder(strings.TrimPrefix(k, keys.Prefix)) {
			continue
		}
		out = append(out, secret{kind: mcpctlKey, value: k, shown: keys.Mask(k), line: lineOf(text, bytes.Index(text, []byte(k)))})
	}
	for _, p := range secretPatterns {
		for _, loc := range p.re.FindAllIndex(text, -1) {
			v := string(text[loc[0]:loc[1]])
			s := secret{kind: p.kind, value: v, line: lineOf(text, loc[0])}
			if p.kind == "a private key" {
				window := text[loc[1]:min(len(text), loc[1]+400)]
				if i := bytes.Index(window, []byte("-----END")); i >= 0 {
					window = window[:i]
				}
				if !pemBodyRE.Match(window) {
					continue
				}
				// The header is not secret; the body after it is, and identifies the key.
				s.value, s.shown = v+string(pemBodyRE.Find(window)), v
			} else {
				if placeholder(v[p.prefix:]) {
					continue
				}
				s.shown = v[:p.prefix+2] + "…"
			}
			out = append(out, s)
		}
	}
	return out
}

// placeholder reports values made up for docs and tests: "EXAMPLE", "xxxx…", or mostly
// runs of repeated or consecutive characters ("0123456789abcdef…", "AAAA…"). A random
// token has almost no such pairs (about 1 in 32 for base64).
func placeholder(body string) bool {
	low := strings.ToLower(body)
	if strings.Contains(low, "example") || strings.Contains(low, "xxxxxxxx") {
		return true
	}
	if len(body) < 8 {
		return false
	}
	runs := 0
	for i := 1; i < len(body); i++ {
		if d := int(body[i]) - int(body[i-1]); d == 0 || d == 1 {
			runs++
		}
	}
	return runs*2 >= len(body)-1
}

func lineOf(text []byte, offset int) int {
	if offset < 0 {
		return 0
	}
	return bytes.Count(text[:offset], []byte("\n")) + 1
}

// isTestPath reports files that hold fixtures: a secret there is more likely fake.
func isTestPath(p string) bool {
	return strings.HasSuffix(p, "_test.go") || strings.HasPrefix(p, "testdata/") || strings.Contains(p, "/testdata/")
}

// isEnvFile reports a dotenv file that holds secrets (.env, .env.local), not a template.
func isEnvFile(base string) bool {
	switch base {
	case envfile.Name:
		return true
	case ".env.example", ".env.sample", ".env.template", ".env.dist":
		return false
	}
	return strings.HasPrefix(base, envfile.Name+".")
}

// checkEnv checks that .env, which holds the API key, stays out of git and away from
// other users of the machine.
func checkEnv(ctx context.Context, p *project) outcome {
	var fs []Finding
	for _, f := range p.git.tracked {
		if !isEnvFile(path.Base(f)) {
			continue
		}
		fs = append(fs, Finding{
			ID: IDEnvTracked, Severity: SeverityError, File: f,
			Title:  f + " is tracked by git",
			Detail: "Its secrets are in every clone and in every push, Heroku's build included; deleting the file later leaves them in history.",
			Fix:    fmt.Sprintf("git rm --cached %s && git commit -m \"Stop tracking %s\", then replace the secrets it held (for the API key: mcpctl keys rotate --now)", f, f),
		})
	}
	envPath := filepath.Join(p.dir, envfile.Name)
	if _, err := os.Lstat(envPath); err != nil {
		if len(fs) > 0 {
			return outcome{findings: fs}
		}
		return pass("no .env")
	}
	// The same verdict as dev, deploy and keys, which refuse such a .env.
	var kind *envfile.KindError
	if errors.As(p.envErr, &kind) {
		fs = append(fs, Finding{
			ID: IDEnvInvalid, Severity: SeverityError, File: envfile.Name,
			Title:  kind.Error(),
			Detail: "mcpctl dev, deploy and keys refuse it.",
			Fix:    kind.Hint(),
		})
		return outcome{findings: fs}
	} else if p.envErr != nil {
		fs = append(fs, Finding{
			ID: IDEnvInvalid, Severity: SeverityError, File: envfile.Name,
			Title:  ".env does not parse",
			Detail: p.envErr.Error() + "\nmcpctl dev, deploy and keys refuse it; doctor could not check its settings.",
			Fix:    "fix or remove the line (KEY=value, one per line)",
		})
	}
	var seen []string
	if p.git.repo {
		_, err := p.gitRun(ctx, "check-ignore", "-q", "--no-index", "--", envfile.Name)
		var ee *executor.ExitError
		switch {
		case err == nil:
			seen = append(seen, "git-ignored")
		case errors.As(err, &ee) && ee.ExitCode == 1:
			fs = append(fs, Finding{
				ID: IDEnvNotIgnored, Severity: SeverityError, File: ".gitignore",
				Title:  ".env is not git-ignored",
				Detail: "It holds the API key; one `git add .` puts it in history for good.",
				Fix:    "echo .env >> .gitignore && git add .gitignore && git commit -m \"Ignore .env\"",
			})
		}
		if !hasID(fs, IDEnvTracked) {
			seen = append(seen, "untracked")
		}
	}
	if runtime.GOOS != "windows" { // Windows has no Unix modes to check
		var me *envfile.ModeError
		if err := envfile.CheckMode(envPath); errors.As(err, &me) {
			fs = append(fs, Finding{
				ID: IDEnvMode, Severity: SeverityError, File: envfile.Name,
				Title:  fmt.Sprintf(".env is readable by other users (mode %04o)", me.Mode),
				Detail: "It holds the API key; other accounts on this machine can read it.",
				Fix:    "chmod 600 .env",
			})
		} else if err == nil {
			seen = append(seen, "mode 0600")
		}
	}
	if len(fs) > 0 {
		return outcome{findings: fs}
	}
	return pass(".env: " + strings.Join(seen, ", "))
}

// leak is a secret found in git, with where.
type leak struct {
	secret
	file    string
	commit  string // for history: the oldest commit showing it
	commits int
}

// checkSecrets looks for keys and other secrets in the tracked files and in every commit
// reachable from any ref. A secret that was committed and then deleted is still in every
// clone, so it counts as much as one in a tracked file.
func checkSecrets(ctx context.Context, p *project) outcome {
	if !p.git.repo {
		return skip("not a git repository")
	}
	var fs []Finding
	inTree := map[string]bool{}
	scanned := 0
	for _, f := range p.git.tracked {
		data, ok := readText(filepath.Join(p.dir, filepath.FromSlash(f)))
		if !ok {
			continue
		}
		scanned++
		for _, s := range findSecrets(data) {
			inTree[s.value] = true
			if isEnvFile(path.Base(f)) {
				continue // the env check reports the whole file
			}
			fs = append(fs, leakFinding(IDSecretTracked, leak{secret: s, file: f}, p.env))
		}
	}
	leaks, err := historyLeaks(ctx, p)
	if err != nil {
		fs = append(fs, Finding{
			ID: IDSecretInHistory, Severity: SeverityWarning,
			Title:  "git history could not be searched",
			Detail: err.Error(),
			Fix:    "run `git log --all -p` in the project to see what git reports",
		})
	}
	for _, l := range leaks {
		if !inTree[l.value] {
			fs = append(fs, leakFinding(IDSecretInHistory, l, p.env))
		}
	}
	if len(fs) > 0 {
		return outcome{findings: fs}
	}
	return pass(fmt.Sprintf("none in %s or in history", plural(scanned, "tracked file")))
}

// leakFinding describes a leaked secret; env is the project's .env, to tell the user when
// the leaked key is one the project still uses.
func leakFinding(id string, l leak, env map[string]string) Finding {
	f := Finding{ID: id, Severity: SeverityError, File: l.file}
	isKey := l.kind == mcpctlKey
	if id == IDSecretTracked {
		f.Line = l.line
		f.Title = fmt.Sprintf("%s:%d holds %s (%s)", l.file, l.line, l.kind, l.shown)
		f.Detail = "Everyone with a clone has it, and a deploy pushes it to the platform's build."
		if isKey {
			f.Fix = "move the key to .env (git-ignored) and read it from " + keys.EnvVar + ", commit, then replace it: mcpctl keys rotate --now (the old value stays in history)"
		} else {
			f.Fix = "move it to .env (git-ignored) and read it from the environment, commit, then revoke it where it was issued: the old value stays in history"
		}
	} else {
		f.Title = fmt.Sprintf("git history holds %s (%s), added to %s in commit %s", l.kind, l.shown, l.file, short(l.commit))
		f.Detail = "No tracked file has it any more, but every clone, and every remote the commit was pushed to, keeps it."
		if isKey {
			f.Fix = "replace the key so the leaked one stops working: mcpctl keys rotate --now; rewriting history (git filter-repo --replace-text) helps only if the commit was never pushed"
		} else {
			f.Fix = "revoke it where it was issued and use a new one from .env; rewriting history (git filter-repo --replace-text) helps only if the commit was never pushed"
		}
	}
	for _, name := range slices.Sorted(maps.Keys(env)) {
		if isKey && env[name] == l.value {
			f.Detail += " It is still in use: .env holds it as " + name + "."
			break
		}
	}
	if isTestPath(l.file) {
		f.Severity = SeverityWarning
		f.Detail += " It is in a test file, so it may be a fixture; if it is real, treat it as an error."
	}
	return f
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

// maxScanBytes bounds the files doctor reads for secrets: keys live in small text files.
const maxScanBytes = 2 << 20

// readText returns a regular text file's contents; binaries and large files are skipped.
func readText(p string) ([]byte, bool) {
	st, err := os.Lstat(p)
	if err != nil || !st.Mode().IsRegular() || st.Size() > maxScanBytes {
		return nil, false
	}
	data, err := os.ReadFile(p)
	if err != nil || bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0 {
		return nil, false
	}
	return data, true
}

// historyLeaks searches every commit reachable from any ref (branches, tags, stash) for
// secrets. git log -G selects the changes with a matching added or removed line; only the
// added lines are scanned, since whatever a commit removes an earlier one added.
func historyLeaks(ctx context.Context, p *project) ([]leak, error) {
	// --relative and the pathspec keep to the project folder: in a larger repository,
	// the rest of its history is not the project's (nor deployed).
	res, err := p.gitRun(ctx, "log", "--all", "-p", "-E", "-G"+historyFilter,
		"--no-color", "--no-ext-diff", "--no-textconv", "--relative", "--format=commit %H", "--", ".")
	if err != nil {
		var ee *executor.ExitError
		// A repository without a commit yet has no history to search.
		if errors.As(err, &ee) && bytes.Contains(ee.Stderr, []byte("does not have any commits")) {
			return nil, nil
		}
		return nil, err
	}
	byValue := map[string]*leak{}
	var order []string
	var commit, file string
	var added bytes.Buffer
	header := false // between "diff --git" and the first hunk
	flush := func() {
		if added.Len() > 0 && file != "" {
			for _, s := range findSecrets(added.Bytes()) {
				l, ok := byValue[s.value]
				if !ok {
					l = &leak{secret: s}
					byValue[s.value] = l
					order = append(order, s.value)
				}
				// git log lists newest first: the last commit seen is the one that added it.
				l.file, l.commit = file, commit
				l.commits++
			}
		}
		added.Reset()
	}
	sc := bufio.NewScanner(bytes.NewReader(res.Stdout))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "commit "):
			flush()
			commit, file, header = line[len("commit "):], "", false
		case strings.HasPrefix(line, "diff --git "):
			flush()
			file, header = "", true
		case header && strings.HasPrefix(line, "+++ "):
			file = diffPath(line[4:])
		case strings.HasPrefix(line, "@@"):
			header = false
		case !header && strings.HasPrefix(line, "+"):
			added.WriteString(line[1:])
			added.WriteByte('\n')
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading git log: %w", err)
	}
	out := make([]leak, 0, len(order))
	for _, v := range order {
		out = append(out, *byValue[v])
	}
	return out, nil
}

// diffPath turns a "+++ b/path" header into the path; git quotes unusual names C-style.
func diffPath(s string) string {
	if strings.HasPrefix(s, `"`) {
		if u, err := strconv.Unquote(s); err == nil {
			s = u
		}
	}
	if s == "/dev/null" {
		return ""
	}
	return strings.TrimPrefix(s, "b/")
}

func hasID(fs []Finding, id string) bool {
	for _, f := range fs {
		if f.ID == id {
			return true
		}
	}
	return false
}
