package devtui

import (
	"encoding/json"
	"strconv"
	"strings"
)

// IsAccessLog reports whether a line the server wrote is its log of one HTTP request: a
// log/slog record, from the text or the JSON handler, with msg "request" and method,
// path and status attributes (what the generated server's logRequests writes). The dev
// proxy logs every request itself, so the line printer leaves these out and keeps
// everything else the server says.
func IsAccessLog(line string) bool {
	line = strings.TrimSpace(line)
	var attrs map[string]any
	if strings.HasPrefix(line, "{") {
		if json.Unmarshal([]byte(line), &attrs) != nil {
			return false
		}
	} else if attrs = logfmtAttrs(line); attrs == nil {
		return false
	}
	if attrs["msg"] != "request" {
		return false
	}
	for _, k := range []string{"level", "method", "path", "status"} {
		if _, ok := attrs[k]; !ok {
			return false
		}
	}
	return true
}

// withoutAccessLog drops the access-log lines from a crash's output tail: the request log
// has them, and they would push out what the server said before it died.
func withoutAccessLog(lines []string) []string {
	var out []string
	for _, l := range lines {
		if !IsAccessLog(l) {
			out = append(out, l)
		}
	}
	return out
}

// logfmtAttrs parses a slog text-handler line (key=value pairs, values quoted when they
// hold spaces or quotes). It returns nil for a line of any other shape.
func logfmtAttrs(line string) map[string]any {
	attrs := map[string]any{}
	for s := line; s != ""; s = strings.TrimLeft(s, " ") {
		key, rest, ok := strings.Cut(s, "=")
		if !ok || key == "" || strings.ContainsAny(key, " \"") {
			return nil
		}
		var val string
		if strings.HasPrefix(rest, `"`) {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				return nil
			}
			val, _ = strconv.Unquote(q)
			rest = rest[len(q):]
			if rest != "" && rest[0] != ' ' {
				return nil
			}
		} else {
			val, rest, _ = strings.Cut(rest, " ")
		}
		attrs[key] = val
		s = rest
	}
	return attrs
}
