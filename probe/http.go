package probe

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/mcpctl/mcpctl/internal/mcpwire"
)

// bodyLimit bounds how much of a raw reply the probe reads.
const bodyLimit = 64 << 10

// observation is one HTTP request the probe made itself (outside go-sdk) and what came back.
type observation struct {
	method string
	url    string
	status int
	header http.Header
	body   []byte
	err    error
	conn   *Connection
	// rpc is the JSON-RPC message in the body (plain JSON or the first SSE event).
	rpc *mcpwire.Message
	// sseEvent is the name of the first SSE event ("message" when unnamed).
	sseEvent string
	sseData  string
}

func (o *observation) contentType() string { return mcpwire.MediaType(o.header.Get("Content-Type")) }

// parseRPC returns data as a JSON-RPC reply (a result or an error), nil when it is none.
func parseRPC(data []byte) *mcpwire.Message {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '[' {
		return nil // a batch answers no request the probe sends
	}
	m, ok := mcpwire.Peek(data)
	if !ok || !m.IsResponse() {
		return nil
	}
	return &m
}

// initializeBody is the request the probe sends without credentials: a complete, valid
// initialize, so that an open server answers it like any client's.
func initializeBody(clientName, clientVersion string) []byte {
	b, _ := json.Marshal(map[string]any{
		"jsonrpc": "2.0",
		"id":      1,
		"method":  "initialize",
		"params": map[string]any{
			"protocolVersion": "2025-11-25",
			"capabilities":    map[string]any{},
			"clientInfo":      map[string]any{"name": clientName, "version": clientVersion},
		},
	})
	return b
}

// do sends one request with the per-request timeout and reads a bounded part of the
// reply: a JSON body whole, an SSE stream up to its first event (SSE streams may stay
// open). Redirects are not followed: the probe reports them.
func (p *prober) do(ctx context.Context, method, rawURL string, header http.Header, body []byte, trace bool) *observation {
	o := &observation{method: method, url: rawURL}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	if trace {
		o.conn = &Connection{}
		ctx = httptrace.WithClientTrace(ctx, p.clientTrace(o.conn))
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		o.err = err
		return o
	}
	setHeaders(req, header)
	resp, err := p.raw.Do(req)
	if err != nil {
		o.err = err
		return o
	}
	defer resp.Body.Close()
	o.status = resp.StatusCode
	o.header = resp.Header
	if o.conn != nil {
		o.conn.Protocol = resp.Proto
		o.conn.Server = resp.Header.Get("Server")
		if resp.TLS != nil {
			o.conn.TLSVersion = tls.VersionName(resp.TLS.Version)
			if len(resp.TLS.PeerCertificates) > 0 {
				c := resp.TLS.PeerCertificates[0]
				o.conn.CertSubject = c.Subject.CommonName
				o.conn.CertIssuer = c.Issuer.CommonName
				o.conn.CertNotAfter = c.NotAfter.UTC().Format(time.RFC3339)
			}
		}
	}
	if o.contentType() == mcpwire.MediaSSE {
		o.sseEvent, o.sseData, o.err = readFirstEvent(io.LimitReader(resp.Body, bodyLimit))
		o.rpc = parseRPC([]byte(o.sseData))
		return o
	}
	o.body, o.err = io.ReadAll(io.LimitReader(resp.Body, bodyLimit))
	o.rpc = parseRPC(o.body)
	return o
}

// clientTrace fills c with connection timings and the remote address.
func (p *prober) clientTrace(c *Connection) *httptrace.ClientTrace {
	var dnsStart, connStart, tlsStart time.Time
	return &httptrace.ClientTrace{
		DNSStart: func(httptrace.DNSStartInfo) { dnsStart = p.now() },
		DNSDone: func(httptrace.DNSDoneInfo) {
			c.DNSMillis = p.now().Sub(dnsStart).Milliseconds()
		},
		ConnectStart: func(string, string) { connStart = p.now() },
		ConnectDone: func(_, addr string, err error) {
			if err == nil {
				c.ConnectMillis = p.now().Sub(connStart).Milliseconds()
				c.RemoteAddr = addr
			}
		},
		TLSHandshakeStart: func() { tlsStart = p.now() },
		TLSHandshakeDone: func(tls.ConnectionState, error) {
			c.TLSMillis = p.now().Sub(tlsStart).Milliseconds()
		},
		GotConn: func(info httptrace.GotConnInfo) {
			if c.RemoteAddr == "" && info.Conn != nil {
				c.RemoteAddr = info.Conn.RemoteAddr().String()
			}
		},
	}
}

// readFirstEvent reads one server-sent event and returns its name ("message" when the
// event names none) and data.
func readFirstEvent(r io.Reader) (event, data string, err error) {
	er := mcpwire.NewEventReader(r, bodyLimit)
	for {
		ev, err := er.Next()
		if ev.Name != "" || ev.HasData {
			return cmp.Or(ev.Name, "message"), string(ev.Data), nil
		}
		if errors.Is(err, io.EOF) {
			return "", "", io.ErrUnexpectedEOF
		} else if err != nil {
			return "", "", err
		}
	}
}

// netFailure explains a transport error (no HTTP response). retry is true for the
// failures a booting or waking server produces.
func netFailure(err error, u *url.URL, timeout time.Duration) (class Class, detail, hint string, retry bool) {
	host := u.Hostname()
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidErr x509.CertificateInvalidError
	var recErr tls.RecordHeaderError
	switch {
	case errors.Is(err, context.Canceled):
		return ClassInternal, "cancelled", "", false
	case errors.As(err, &dnsErr):
		if dnsErr.IsTimeout || dnsErr.IsTemporary {
			return ClassDNS, fmt.Sprintf("looking up %s failed: %v", host, dnsErr.Err), "check the network and DNS settings, then run the check again", true
		}
		return ClassDNS, fmt.Sprintf("%s does not resolve (%v)", host, dnsErr.Err),
			"check the host name in the URL; a Heroku app's URL has a random suffix, so read it with `heroku apps:info -a APP --json` (web_url)", false
	case errors.As(err, &unknownAuth):
		return ClassTLS, fmt.Sprintf("the certificate of %s is not trusted (signed by an unknown authority: %s)", host, issuerName(unknownAuth.Cert)),
			"the server must present a certificate from a public CA (platforms like Heroku do this for you); for a self-signed development certificate use http:// on localhost instead", false
	case errors.As(err, &hostErr):
		return ClassTLS, fmt.Sprintf("the certificate is not valid for %s (%v)", host, hostErr),
			"use the host name the certificate was issued for, or fix the certificate's names", false
	case errors.As(err, &invalidErr):
		if invalidErr.Reason == x509.Expired {
			return ClassTLS, fmt.Sprintf("the certificate of %s has expired or is not yet valid (%v)", host, invalidErr),
				"renew the certificate (and check the machine's clock)", false
		}
		return ClassTLS, fmt.Sprintf("the certificate of %s is invalid (%v)", host, invalidErr), "fix the server's certificate chain", false
	case errors.Is(err, http.ErrSchemeMismatch):
		return ClassTLS, fmt.Sprintf("%s answered plain HTTP to a TLS request", u.Host),
			"use http:// for this server (or put TLS in front of it)", false
	case errors.As(err, &recErr):
		return ClassTLS, fmt.Sprintf("%s does not speak TLS on this port (%s)", u.Host, recErr.Msg),
			"check the scheme and port of the URL", false
	case errors.As(err, &certErr):
		return ClassTLS, fmt.Sprintf("TLS certificate verification failed for %s: %v", host, certErr.Err), "fix the server's certificate", false
	case errors.Is(err, syscall.ECONNREFUSED):
		return ClassUnreachable, fmt.Sprintf("connection refused by %s: nothing listens there", hostPort(u)),
			"start the server (`mcpctl dev` for a local project) or check the port in the URL", false
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return ClassUnreachable, fmt.Sprintf("no route to %s", hostPort(u)), "check the network and the host in the URL", false
	case isTimeout(err):
		return ClassUnavailable, fmt.Sprintf("no answer from %s within %s", hostPort(u), timeout),
			"a sleeping or booting server can take longer: retry with a larger --timeout or --retry-for; `heroku logs -n 200 -a APP` shows what a Heroku app is doing", true
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return ClassUnavailable, fmt.Sprintf("%s closed the connection without an answer", hostPort(u)),
			"the server may be restarting or crashing on requests; look at its logs", true
	case isTLSAlert(err):
		return ClassTLS, fmt.Sprintf("TLS handshake with %s failed: %v", host, unwrapURLError(err)), "check the scheme, port and certificate of the server", false
	case isMalformedHTTP(err):
		// Reachable: something listens and answered, just not in HTTP.
		return ClassBadReply, fmt.Sprintf("%s answered, but not with HTTP (%v)", hostPort(u), unwrapURLError(err)),
			"another kind of server listens on this port: check the port in the URL", false
	case errors.Is(err, bufio.ErrTooLong) || strings.Contains(err.Error(), "token too long"):
		return ClassBadReply, fmt.Sprintf("%s sent an event-stream line longer than %d KiB without ending it", hostPort(u), bodyLimit>>10),
			"the server answered but its event stream is not readable: look at what it writes on the MCP path", false
	}
	return ClassUnreachable, fmt.Sprintf("request to %s failed: %v", hostPort(u), unwrapURLError(err)), "check the URL and that the server is running", false
}

func issuerName(c *x509.Certificate) string {
	if c == nil {
		return "unknown issuer"
	}
	if c.Issuer.CommonName != "" {
		return c.Issuer.CommonName
	}
	if len(c.Issuer.Organization) > 0 {
		return c.Issuer.Organization[0]
	}
	return c.Issuer.String()
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// isMalformedHTTP reports a reply that is not HTTP; net/http has no typed error for it.
// A peer that talks first (an SSH banner) reaches the transport before the request is
// written, which it reports as a failed peek on an idle connection.
func isMalformedHTTP(err error) bool {
	s := err.Error()
	return strings.Contains(s, "malformed HTTP") || strings.Contains(s, "HTTP/1.x transport connection broken") ||
		strings.Contains(s, "readLoopPeekFailLocked")
}

func isTLSAlert(err error) bool {
	var alert tls.AlertError
	return errors.As(err, &alert)
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "https" {
		return u.Hostname() + ":443"
	}
	return u.Hostname() + ":80"
}

// isWebURL reports an absolute http or https URL: the only kind a redirect may send an
// MCP client to.
func isWebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
