package cmd

import (
	"net/http"
	"regexp"
	"strings"
)

// headerNameRE is an RFC 9110 token.
var headerNameRE = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// parseHeaderFlags turns repeated --header 'Name: value' flags into a header set.
func parseHeaderFlags(values []string) (http.Header, error) {
	h := http.Header{}
	for _, v := range values {
		name, value, ok := strings.Cut(v, ":")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		switch {
		case !ok || name == "":
			return nil, FlagErrorf("--header %q: want 'Name: value'", v)
		case !headerNameRE.MatchString(name):
			return nil, FlagErrorf("--header %q: %q is not a valid header name", v, name)
		case strings.ContainsAny(value, "\r\n\x00"):
			return nil, FlagErrorf("--header %q: the value must be one line", name)
		}
		h.Add(name, value)
	}
	return h, nil
}
