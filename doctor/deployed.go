package doctor

import (
	"context"
	"fmt"
	"time"
)

// Deployed is what the deployed service's platform and /health report.
type Deployed struct {
	Platform string // "cloudrun"
	Name     string // the service
	// MinInstances kept warm; MaxInstances autoscaling may start (0: the platform's default).
	MinInstances, MaxInstances int
	// RequestTimeout is how long the platform lets one request run.
	RequestTimeout time.Duration
	// Stateless is what the running server's /health says; nil when unknown.
	Stateless *bool
}

// ClientToolWait is how long common MCP clients wait for a tool call (Claude Desktop's
// remote connectors 4 min, Claude Code's idle timeout 300 s): a platform request timeout
// below it cuts calls the client would still wait for.
const ClientToolWait = 5 * time.Minute

// checkDeployed compares the deployed service's settings with what MCP clients need:
// Cloud Run's pitfalls are scale to zero (a cold start misses a hosted client's ~10 s for
// the first initialize), a request timeout below the longest tool call, and a stateful
// server that autoscaling can put on several instances.
func checkDeployed(ctx context.Context, p *project) outcome {
	if p.opts.Deployed == nil {
		return pass("no deployed Cloud Run service to compare")
	}
	d, err := p.opts.Deployed(ctx)
	if err != nil {
		return skip(fmt.Sprintf("could not read the deployed service: %v", err))
	}
	var fs []Finding
	if d.MinInstances == 0 {
		fs = append(fs, Finding{
			ID: IDColdStart, Severity: SeverityWarning, File: "mcpctl.toml",
			Title:  fmt.Sprintf("the Cloud Run service %s scales to zero (min instances 0)", d.Name),
			Detail: "A request to an idle service waits for a cold start; hosted clients such as claude.ai give the first initialize about 10 s, and a cold start with the Go runtime and a first request can miss it.",
			Fix:    "keep one instance warm (billed while idle): mcpctl scale cloudrun --min 1",
		})
	}
	if d.RequestTimeout > 0 && d.RequestTimeout < ClientToolWait {
		fs = append(fs, Finding{
			ID: IDRequestTimeout, Severity: SeverityWarning, File: "mcpctl.toml",
			Title:  fmt.Sprintf("the Cloud Run request timeout is %s, shorter than clients wait for a tool (%s)", d.RequestTimeout, ClientToolWait),
			Detail: "Cloud Run ends a request at its timeout (300 s by default), so a longer tool call is cut although the client still waits; the stream keep-alive does not extend it.",
			Fix:    fmt.Sprintf("gcloud run services update %s --timeout=3600 (mcpctl deploy cloudrun sets 60m)", d.Name),
		})
	}
	if d.Stateless != nil && !*d.Stateless && d.MaxInstances != 1 {
		most := "up to 100 instances (the default)"
		if d.MaxInstances > 1 {
			most = fmt.Sprintf("up to %d instances", d.MaxInstances)
		}
		fs = append(fs, Finding{
			ID: IDStatefulScaled, Severity: SeverityError,
			Title:  fmt.Sprintf("the deployed server is stateful (its /health says so) and %s may run %s", d.Name, most),
			Detail: "A session lives in the instance that created it; requests that autoscaling sends to another instance fail with \"session not found\", and MCP clients keep no cookies, so session affinity cannot help.",
			Fix:    "mcpctl scale cloudrun --max 1, or set stateless = true in mcpctl.toml and deploy",
		})
	}
	if len(fs) > 0 {
		return outcome{findings: fs}
	}
	return pass(fmt.Sprintf("%s: min %d instance(s), request timeout %s", d.Name, d.MinInstances, d.RequestTimeout))
}
