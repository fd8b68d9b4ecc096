/**
 * The benchmark's upstream, run as its own process so its timers do not share an event loop with
 * the load generator: `GET /delay/:ms` answers a small JSON body after `ms`. Prints its port,
 * then one line with the count of requests served whenever it reads a line on stdin.
 */
import { createServer } from "node:http";
import { createInterface } from "node:readline";

let served = 0;
const server = createServer((req, res) => {
  const ms = Number(/^\/delay\/(\d+)/.exec(req.url ?? "")?.[1] ?? 0);
  setTimeout(() => {
    served++;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ ok: true, delayedMs: ms }));
  }, ms);
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  console.log(typeof address === "object" && address !== null ? address.port : 0);
});
createInterface({ input: process.stdin })
  .on("line", () => console.log(served))
  .on("close", () => server.close(() => process.exit(0)));
