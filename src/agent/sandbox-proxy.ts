import { createServer, request, type Server } from "node:http";
import { connect } from "node:net";

/**
 * The sandbox's only way out: an HTTP proxy on a Unix socket (the sandbox has no network of
 * its own; the socket is mounted in and bridged to 127.0.0.1:3128 inside). It tunnels HTTPS
 * (`CONNECT host:443`) and forwards plain HTTP to hosts on the allowlist only, and answers
 * 403 for everything else without connecting anywhere.
 */
export function hostAllowed(host: string, allowed: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, "");
  if (h === "" || h.includes("/") || h.includes("@")) return false;
  return allowed.some((pattern) => {
    const p = pattern.toLowerCase();
    if (p.startsWith("*.")) return h.endsWith(p.slice(1)) && h.length > p.length - 1;
    return h === p;
  });
}

function splitHostPort(authority: string, defaultPort: number): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(authority);
  return { host: m?.[1] ?? "", port: m?.[2] ? Number(m[2]) : defaultPort };
}

const refusal = (host: string) =>
  `Conveyor's sandbox: ${host || "(no host)"} is not in sandbox.allowedDomains\n`;

export function startSandboxProxy(
  socketPath: string,
  allowed: readonly string[],
  log: (line: string) => void = () => {},
): Server {
  const server = createServer((req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? "");
    } catch {
      res.writeHead(400).end("Conveyor's sandbox proxy: absolute http:// URLs only\n");
      return;
    }
    if (url.protocol !== "http:" || !hostAllowed(url.hostname, allowed)) {
      log(`sandbox: refused http ${url.hostname}`);
      res.writeHead(403, { "content-type": "text/plain" }).end(refusal(url.hostname));
      return;
    }
    const upstream = request(
      {
        host: url.hostname,
        port: url.port || 80,
        method: req.method,
        path: `${url.pathname}${url.search}`,
        headers: { ...req.headers, host: url.host },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", (e) => res.destroy(e));
    req.pipe(upstream);
  });
  server.on("connect", (req, client, head) => {
    const { host, port } = splitHostPort(req.url ?? "", 443);
    if (port !== 443 || !hostAllowed(host, allowed)) {
      log(`sandbox: refused connect ${host}:${port}`);
      client.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\n\r\n${refusal(host)}`);
      return;
    }
    const upstream = connect(port, host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  server.on("clientError", (_e, socket) => socket.destroy());
  server.listen(socketPath);
  server.unref();
  return server;
}
