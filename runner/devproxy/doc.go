// Package devproxy is the reverse proxy in front of `mcpctl dev`'s server processes. It
// keeps the dev URL stable and hides reloads from MCP clients: requests wait for a healthy
// generation, bodies are buffered so a refused request can be re-sent, a replaced
// generation serves its in-flight requests to the end, stateful sessions are re-created on
// each new generation with their ids mapped, and GET streams move between generations.
//
// The runner drives it: Prepare a backend for each healthy generation, Activate it,
// Retire the one it replaces (Detach one whose process crashed), SetDown when nothing is
// coming. The proxy reports through Options.OnEvent and knows nothing of builds or
// processes.
package devproxy
