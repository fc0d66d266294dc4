import { createServer, type Server } from "node:http";
import type { Supervisor } from "./supervisor.ts";

/**
 * The supervisor's control API on loopback, for drills (`riik embassy drill`) and
 * operators: `GET /v1/services`, `POST /v1/services/{name}/stop` (stays stopped, no
 * restart) and `POST /v1/services/{name}/start` (answers once the service is healthy).
 */
export function startControlServer(supervisor: Supervisor, port: number, host: string): Promise<Server> {
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) =>
      res
        .writeHead(status, { "content-type": "application/json", "cache-control": "no-store" })
        .end(JSON.stringify(body));
    // Loopback callers only, and no browser: a page elsewhere must not stop the state.
    const remote = req.socket.remoteAddress ?? "";
    if (!["127.0.0.1", "::1", "::ffff:127.0.0.1"].includes(remote) || req.headers.origin !== undefined)
      return send(403, { code: "CONTROL_FORBIDDEN", message: "the control API answers local tools only" });
    const url = new URL(req.url ?? "/", "http://control");
    if (req.method === "GET" && url.pathname === "/healthz") return send(200, { status: "ok", service: "riik-up" });
    if (req.method === "GET" && url.pathname === "/v1/services") return send(200, { services: supervisor.status() });
    const match = /^\/v1\/services\/([a-z0-9-]{1,64})\/(stop|start)$/.exec(url.pathname);
    if (!match) return send(404, { code: "CONTROL_NOT_FOUND", message: `no ${req.method} ${url.pathname}` });
    if (req.method !== "POST") return send(405, { code: "CONTROL_METHOD", message: "use POST" });
    const [, name, verb] = match;
    const work = verb === "stop" ? supervisor.stopService(name!) : supervisor.startService(name!);
    work.then(
      (known) =>
        known
          ? send(200, { service: name, state: verb === "stop" ? "stopped" : "running" })
          : send(404, { code: "CONTROL_UNKNOWN_SERVICE", message: `no service ${name}` }),
      (error: Error) => send(500, { code: "CONTROL_FAILED", message: error.message }),
    );
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
