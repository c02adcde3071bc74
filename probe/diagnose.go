package probe

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"
)

// replyKind is what an HTTP reply says about the URL it came from.
type replyKind int

const (
	kindRPC         replyKind = iota // a JSON-RPC message: an MCP endpoint answered
	kindChallenge                    // 401 or 403: something wants credentials
	kindRedirect                     // 3xx with a Location
	kindTransient                    // 502/503/504/429 or a platform error page: try again later
	kindHTML                         // a web page
	kindNotFound                     // 404, 405, 410: nothing takes POST here
	kindServerError                  // another 5xx: the server failed on the request
	kindOther                        // any other reply
)

func classifyReply(o *observation) replyKind {
	switch {
	case o.rpc != nil:
		return kindRPC
	case o.status == http.StatusUnauthorized || o.status == http.StatusForbidden:
		return kindChallenge
	case o.status >= 300 && o.status < 400 && o.header.Get("Location") != "":
		return kindRedirect
	case isTransientStatus(o.status):
		return kindTransient
	case o.status == http.StatusNotFound || o.status == http.StatusMethodNotAllowed || o.status == http.StatusGone:
		return kindNotFound
	case o.status >= 500:
		return kindServerError
	case o.contentType() == "text/html" || looksLikeHTML(o.body):
		return kindHTML
	}
	return kindOther
}

func isTransientStatus(status int) bool {
	switch status {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout, http.StatusTooManyRequests:
		return true
	}
	return false
}

func looksLikeHTML(body []byte) bool {
	s := strings.ToLower(strings.TrimSpace(string(body[:min(len(body), 512)])))
	return strings.HasPrefix(s, "<!doctype html") || strings.HasPrefix(s, "<html")
}

var (
	htmlTitleRE = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)
	hCodeRE     = regexp.MustCompile(`\b(?:code=)?(H[0-9]{2})\b`)
)

// htmlTitle returns the page's <title>, squeezed to one line, or "".
func htmlTitle(body []byte) string {
	m := htmlTitleRE.FindSubmatch(body)
	if m == nil {
		return ""
	}
	return oneLine(string(m[1]), 80)
}

// platformError is a reply from a platform's router rather than from the app.
type platformError struct {
	detail string
	hint   string
	class  Class
	retry  bool
}

// herokuCode explains the Heroku router errors a check can meet.
// See https://devcenter.heroku.com/articles/error-codes.
func herokuCode(code string) (desc string, retry bool, hint string) {
	logs := "run `heroku logs -n 200 -a APP` to see why"
	switch code {
	case "H10":
		return "the app crashed", true, logs + "; the server must bind 0.0.0.0:$PORT"
	case "H12":
		return "request timeout (30 s without a first byte)", true, logs
	case "H13":
		return "the app closed the connection without a response", true, logs
	case "H14":
		return "no web dynos running", false, "scale the web process up: `heroku ps:scale web=1 -a APP`"
	case "H20":
		return "the app did not boot within 60 s", true, logs + "; the server must bind $PORT quickly"
	case "H80":
		return "the app is in maintenance mode", false, "`heroku maintenance:off -a APP`"
	case "H99":
		return "Heroku platform error", true, "retry later; see https://status.heroku.com"
	}
	return "Heroku router error", true, logs
}

// platformFailure recognises replies written by a platform's router (Heroku's error pages
// and H-codes) rather than by the server itself.
func platformFailure(o *observation) (platformError, bool) {
	body := string(o.body)
	switch {
	case strings.Contains(body, "error-pages/no-such-app"):
		return platformError{
			detail: "Heroku has no app at this address",
			hint:   "read the app's URL with `heroku apps:info -a APP --json` (web_url; it has a random suffix)",
			class:  ClassWrongURL,
		}, true
	case strings.Contains(body, "error-pages/maintenance-mode"):
		desc, _, hint := herokuCode("H80")
		return platformError{detail: "Heroku: " + desc, hint: hint, class: ClassUnavailable}, true
	}
	if o.status < 500 && o.status != http.StatusTooManyRequests {
		return platformError{}, false
	}
	code := ""
	for _, values := range o.header {
		for _, v := range values {
			if m := hCodeRE.FindStringSubmatch(v); m != nil {
				code = m[1]
			}
		}
	}
	if m := hCodeRE.FindStringSubmatch(body); code == "" && m != nil {
		code = m[1]
	}
	if code != "" {
		desc, retry, hint := herokuCode(code)
		return platformError{detail: fmt.Sprintf("Heroku %s: %s", code, desc), hint: hint, class: ClassUnavailable, retry: retry}, true
	}
	if strings.Contains(body, "error-pages/application-error") {
		return platformError{
			detail: "Heroku application error: the app crashed, is still booting, or timed out",
			hint:   "run `heroku logs -n 200 -a APP` to see the H-code and the app's own output",
			class:  ClassUnavailable,
			retry:  true,
		}, true
	}
	return platformError{}, false
}

// transientFailure explains a 502/503/504/429 and says whether waiting may help.
func transientFailure(o *observation) platformError {
	if pe, ok := platformFailure(o); ok {
		return pe
	}
	detail := fmt.Sprintf("HTTP %d %s", o.status, http.StatusText(o.status))
	if ra := o.header.Get("Retry-After"); ra != "" {
		detail += " (Retry-After: " + ra + ")"
	}
	return platformError{
		detail: detail,
		hint:   "the server or a proxy in front of it is not ready (sleeping, booting or overloaded); retry with a longer --retry-for, and look at the server's logs",
		class:  ClassUnavailable,
		retry:  true,
	}
}

// describeReply is a one-line description of a reply for step details.
func describeReply(o *observation) string {
	s := fmt.Sprintf("HTTP %d", o.status)
	if ct := o.contentType(); ct != "" {
		s += " " + ct
	}
	switch {
	case o.rpc != nil && o.rpc.Error != nil:
		s += fmt.Sprintf(" (JSON-RPC error %d: %s)", o.rpc.Error.Code, oneLine(o.rpc.Error.Message, 100))
	case o.rpc != nil:
		s += " (JSON-RPC result)"
	case o.contentType() == "text/html" || looksLikeHTML(o.body):
		if t := htmlTitle(o.body); t != "" {
			s += fmt.Sprintf(" (page %q)", t)
		}
	case len(o.body) > 0:
		s += ": " + oneLine(printable(o.body), 100)
	}
	return s
}

// oneLine squeezes whitespace and cuts s to at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// printable drops control characters from a body shown in a message.
func printable(b []byte) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' && r != '\t' && r != '\n' || r == 0x7f || r == utf8.RuneError {
			return -1
		}
		return r
	}, string(b))
}
