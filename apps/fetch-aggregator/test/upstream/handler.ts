/**
 * The upstream the tests control, run on the Node side of Miniflare as the worker's
 * `outboundService`: every `fetch` the worker makes lands here, whatever the host. Being a Node
 * HTTP handler (not a fetch function) it sees a connection close, so tests can assert that the
 * worker really aborted an upstream request.
 *
 * Routes (any host; `?delay=ms` on every route):
 * - `/json/:key`, `/text/:key`          a JSON or text answer
 * - `/status/:code/:key?retryAfter=`    that status, with Retry-After when asked
 * - `/flaky/:key?failures=2&status=503&retryAfter=1`     fails the first calls, then 200
 * - `/slow/:key?ms=`                    answers after `ms` (default 5 000)
 * - `/large/:key?bytes=&declare=1`      a text body of that size, chunked unless `declare`
 * - `/reset/:key`                       drops the connection (a network error)
 * - `/redirect/:key?to=`                302 to `to`
 * - `/echo/:key`                        the request as JSON (method, request-target as it
 *                                       arrived, headers, body)
 * - `/__stats/:key`                     what this upstream saw for `key`
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";

interface KeyStats {
  hits: number;
  aborted: number;
  completed: number;
  inFlight: number;
  maxInFlight: number;
  hosts: string[];
}

const stats = new Map<string, KeyStats>();

function statsOf(key: string): KeyStats {
  let entry = stats.get(key);
  if (entry === undefined) {
    entry = { hits: 0, aborted: 0, completed: 0, inFlight: 0, maxInFlight: 0, hosts: [] };
    stats.set(key, entry);
  }
  return entry;
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, {
    "content-type": typeof body === "string" ? "text/plain; charset=utf-8" : "application/json",
    ...headers,
  });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", () => resolve(""));
  });
}

/** Waits `ms`; resolves false early when the client (the worker) closed the connection. */
function waitOrClose(res: ServerResponse, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve(false);
    const timer = setTimeout(() => {
      res.off("close", onClose);
      resolve(true);
    }, ms);
    const onClose = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    res.once("close", onClose);
  });
}

function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/** Node HTTP handler for Miniflare's `outboundService: { node: handleUpstream }`. */
export async function handleUpstream(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "upstream.test"}`);
  const [, route = "", key = "default", extra] = url.pathname.split("/");
  if (route === "__stats") return send(res, 200, statsOf(key));
  // `/status/:code/:key` carries the code first.
  const statKey = route === "status" ? (extra ?? "default") : key;
  const entry = statsOf(statKey);
  entry.hits++;
  entry.inFlight++;
  entry.maxInFlight = Math.max(entry.maxInFlight, entry.inFlight);
  entry.hosts.push(url.host);
  let finished = false;
  res.once("close", () => {
    entry.inFlight--;
    if (finished || res.writableFinished) entry.completed++;
    else entry.aborted++;
  });
  res.once("finish", () => {
    finished = true;
  });

  const delay = Number(url.searchParams.get("delay") ?? 0);
  if (delay > 0 && !(await waitOrClose(res, delay))) return;
  const query = url.searchParams;
  switch (route) {
    case "json":
      return send(res, 200, {
        key,
        host: url.host,
        path: url.pathname,
        query: Object.fromEntries(query),
      });
    case "text":
      return send(res, 200, `plain text for ${key}`);
    case "status": {
      const retryAfter = query.get("retryAfter");
      return send(
        res,
        Number(key),
        { status: Number(key) },
        retryAfter === null ? {} : { "retry-after": retryAfter },
      );
    }
    case "flaky": {
      const failures = Number(query.get("failures") ?? 1);
      if (entry.hits <= failures) {
        const retryAfter = query.get("retryAfter");
        return send(
          res,
          Number(query.get("status") ?? 503),
          { attempt: entry.hits },
          retryAfter === null ? {} : { "retry-after": retryAfter },
        );
      }
      return send(res, 200, { attempt: entry.hits });
    }
    case "slow": {
      if (!(await waitOrClose(res, Number(query.get("ms") ?? 5_000)))) return;
      return send(res, 200, { key, slow: true });
    }
    case "large": {
      const bytes = Number(query.get("bytes") ?? 1_000_000);
      const headers: Record<string, string> = { "content-type": "text/plain" };
      if (query.get("declare") === "1") headers["content-length"] = String(bytes);
      res.writeHead(200, headers);
      const chunk = Buffer.alloc(16 * 1024, "x");
      let sent = 0;
      while (sent < bytes && !res.destroyed) {
        const size = Math.min(chunk.length, bytes - sent);
        sent += size;
        if (!res.write(chunk.subarray(0, size))) await drainedOrClosed(res);
      }
      if (!res.destroyed) res.end();
      return;
    }
    case "reset":
      req.socket.destroy();
      return;
    case "redirect":
      res.writeHead(302, { location: query.get("to") ?? "/json/redirected" });
      res.end();
      return;
    case "echo":
      return send(res, 200, {
        method: req.method,
        // Raw, before any parsing here: what the worker put on the request line.
        target: req.url,
        headers: req.headers,
        body: await readBody(req),
      });
    default:
      return send(res, 404, { error: `no route ${url.pathname}` });
  }
}
