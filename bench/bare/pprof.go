//go:build benchpprof

package main

import (
	"net/http"
	_ "net/http/pprof"
	"os"
)

// With -tags benchpprof (go run ./bench -profile), MCP_BENCH_PPROF serves pprof.
func init() {
	if a := os.Getenv("MCP_BENCH_PPROF"); a != "" {
		go func() { _ = http.ListenAndServe(a, nil) }()
	}
}
