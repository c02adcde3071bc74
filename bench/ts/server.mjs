// The TypeScript SDK peer of mcpctl's benchmark: the same say_hello tool over Streamable
// HTTP with express, written the way the SDK's README shows. MODE=stateless (a server and
// transport per request) or MODE=stateful (a transport per session). PORT picks the port.
import { randomUUID } from "node:crypto";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { createMcpExpressApp } from "@modelcontextprotocol/sdk/server/express.js";
import { z } from "zod";

const stateless = (process.env.MODE ?? "stateless") === "stateless";

function newServer() {
  const server = new McpServer({ name: "bench-ts", version: "1.0.0" });
  server.registerTool(
    "say_hello",
    { description: "Greet someone by name.", inputSchema: { name: z.string() } },
    async ({ name }) => {
      name = name.trim();
      if (!name) return { isError: true, content: [{ type: "text", text: "name must not be empty" }] };
      return { content: [{ type: "text", text: `Hello, ${name}!` }] };
    },
  );
  return server;
}

const app = createMcpExpressApp();
app.get("/health", (_req, res) => res.json({ status: "ok" }));

if (stateless) {
  app.post("/mcp", async (req, res) => {
    const server = newServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on("close", () => {
      transport.close();
      server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
} else {
  const transports = new Map();
  app.post("/mcp", async (req, res) => {
    const id = req.headers["mcp-session-id"];
    let transport = id ? transports.get(id) : undefined;
    if (!transport) {
      if (id || !isInitializeRequest(req.body)) {
        res.status(400).json({ jsonrpc: "2.0", error: { code: -32000, message: "no valid session" }, id: null });
        return;
      }
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sid) => transports.set(sid, transport),
      });
      transport.onclose = () => transport.sessionId && transports.delete(transport.sessionId);
      await newServer().connect(transport);
    }
    await transport.handleRequest(req, res, req.body);
  });
  const bySession = async (req, res) => {
    const transport = transports.get(req.headers["mcp-session-id"]);
    if (!transport) return res.status(400).send("no valid session");
    await transport.handleRequest(req, res);
  };
  app.get("/mcp", bySession);
  app.delete("/mcp", bySession);
}

const port = Number(process.env.PORT ?? 8000);
app.listen(port, "127.0.0.1", () => console.error(`listening on 127.0.0.1:${port} (${stateless ? "stateless" : "stateful"})`));
