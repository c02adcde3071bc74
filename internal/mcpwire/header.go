package mcpwire

import (
	"net/http"
	"slices"
)

// WithHeader returns a RoundTripper that adds header to every request before base (nil:
// http.DefaultTransport) sends it. go-sdk's client transport has no headers option, so
// this is how a key or --header values reach the server.
func WithHeader(base http.RoundTripper, header http.Header) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return headerTransport{base: base, header: header}
}

type headerTransport struct {
	base   http.RoundTripper
	header http.Header
}

func (t headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if len(t.header) == 0 {
		return t.base.RoundTrip(r)
	}
	r = r.Clone(r.Context()) // a RoundTripper must not change the caller's request
	for k, vs := range t.header {
		r.Header[http.CanonicalHeaderKey(k)] = slices.Clone(vs)
	}
	return t.base.RoundTrip(r)
}
