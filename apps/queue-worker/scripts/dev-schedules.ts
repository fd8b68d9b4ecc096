// `pnpm dev` only: runs `wrangler dev` (the command after this script's name) and, beside it,
// does what the deployed platform does on its own. Local development fires no cron triggers, so
// this fires `scheduled()` every minute (miniflare's /cdn-cgi/local/scheduled), and it creates the
// demo schedule through the API, as a client would, unless one of that name exists already (the
// local D1 keeps it between runs). Nothing of this is in the deployed worker.
import { spawn } from "node:child_process";
import { DEV_API_KEY } from "@edge-async/http";

const [command, ...args] = process.argv.slice(2);
if (command === undefined) throw new Error("usage: node scripts/dev-schedules.ts wrangler dev ...");
const portArg = args.indexOf("--port");
const port = portArg === -1 ? 8789 : Number(args[portArg + 1]);
const origin = `http://127.0.0.1:${port}`;
const authorization = `Bearer ${DEV_API_KEY}`;

/** The demo feed of apps/demo-upstream (port 8790), ingested into paginated-feed every minute. */
const DEMO_SCHEDULE = {
  name: "demo feed",
  cron: "* * * * *",
  job: {
    type: "ingest",
    payload: { feedUrl: "http://127.0.0.1:8790/feed.json", topic: "demo-feed" },
  },
};

const child = spawn(command, args, { stdio: "inherit" });
const stop = new AbortController();
child.on("exit", (code, signal) => {
  stop.abort();
  process.exitCode = code ?? (signal === null ? 0 : 1);
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => child.kill(signal));
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    stop.signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });

async function ready(): Promise<void> {
  while (!stop.signal.aborted) {
    const ok = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await sleep(500);
  }
}

/** Creates the demo schedule unless the development key already has one of its name. */
async function ensureDemoSchedule(): Promise<void> {
  let cursor: string | undefined;
  do {
    const query = `limit=100${cursor === undefined ? "" : `&cursor=${encodeURIComponent(cursor)}`}`;
    const response = await fetch(`${origin}/v1/schedules?${query}`, { headers: { authorization } });
    if (!response.ok)
      throw new Error(`listing schedules: ${response.status} ${await response.text()}`);
    const page = (await response.json()) as {
      items: { id: string; name: string }[];
      nextCursor: string | null;
    };
    const found = page.items.find((item) => item.name === DEMO_SCHEDULE.name);
    if (found !== undefined) {
      console.log(`dev-schedules: schedule "${DEMO_SCHEDULE.name}" is ${found.id}`);
      return;
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  const created = await fetch(`${origin}/v1/schedules`, {
    method: "POST",
    headers: { authorization, "content-type": "application/json" },
    body: JSON.stringify(DEMO_SCHEDULE),
  });
  if (!created.ok)
    throw new Error(`creating the demo schedule: ${created.status} ${await created.text()}`);
  const { id } = (await created.json()) as { id: string };
  console.log(`dev-schedules: created schedule "${DEMO_SCHEDULE.name}" (${id}), every minute`);
}

/** Fires the cron trigger just after each minute starts, as the platform would. */
async function tick(): Promise<void> {
  while (!stop.signal.aborted) {
    await sleep(60_000 - (Date.now() % 60_000) + 1_000);
    if (stop.signal.aborted) return;
    await fetch(`${origin}/cdn-cgi/local/scheduled?cron=${encodeURIComponent("* * * * *")}`).then(
      (response) => response.body?.cancel(),
      (error: unknown) => console.warn("dev-schedules: could not fire the cron trigger", error),
    );
  }
}

await ready();
if (!stop.signal.aborted) {
  await ensureDemoSchedule().catch((error: unknown) => console.warn("dev-schedules:", error));
  await tick();
}
