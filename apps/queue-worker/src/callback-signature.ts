// Completion callbacks' signatures, checked by the receiving end; `client.ts` re-exports it.

/**
 * Verifies the `Webhook-Signature` header of a completion callback: `t=<unix seconds>,v1=<hex>`,
 * where `v1` is the HMAC-SHA256 of `"<t>.<body>"` under the worker's `CALLBACK_SECRET` (Stripe's
 * scheme). Uses WebCrypto (`crypto.subtle.verify`, which compares in constant time), so it runs
 * in Workers, browsers, Deno and Node 20+. Resolves `false`, never throws, for a malformed header,
 * a timestamp more than `toleranceSeconds` from `now` (a replay), or a wrong signature; any of
 * several `v1` entries may match (secret rotation).
 *
 * @param body the raw request body, exactly as received (verify before parsing it)
 * @param header the `Webhook-Signature` header's value (`null` when absent)
 * @param secret the worker's `CALLBACK_SECRET`
 * @param options `toleranceSeconds` (default 300); `now` in epoch milliseconds (default now)
 * @returns whether the body was signed with `secret` within the tolerance
 * @example
 * ```ts
 * import { verifyCallbackSignature } from "@edge-async/queue-worker/client";
 * export default {
 *   async fetch(request: Request, env: { CALLBACK_SECRET: string }) {
 *     const body = await request.text();
 *     const header = request.headers.get("webhook-signature");
 *     if (!(await verifyCallbackSignature(body, header, env.CALLBACK_SECRET))) {
 *       return new Response("bad signature", { status: 400 });
 *     }
 *     const job = JSON.parse(body) as Job;
 *     console.log(job.id, job.status);
 *     return new Response(null, { status: 204 });
 *   },
 * };
 * ```
 */
export async function verifyCallbackSignature(
  body: string,
  header: string | null | undefined,
  secret: string,
  options: { toleranceSeconds?: number; now?: number } = {},
): Promise<boolean> {
  const parts = (header ?? "").split(",").map((part) => part.trim().split("="));
  const timestamps = parts.filter(([name]) => name === "t").map(([, value]) => value ?? "");
  const signatures = parts.filter(([name]) => name === "v1").map(([, value]) => value ?? "");
  const [t] = timestamps;
  if (timestamps.length !== 1 || t === undefined || !/^\d{1,12}$/.test(t)) return false;
  const nowSeconds = (options.now ?? Date.now()) / 1000;
  if (Math.abs(nowSeconds - Number(t)) > (options.toleranceSeconds ?? 300)) return false;
  const key = await callbackKey(secret, "verify");
  const signed = new TextEncoder().encode(`${t}.${body}`);
  for (const signature of signatures) {
    if (!/^[0-9a-f]{64}$/.test(signature)) continue;
    const bytes = new Uint8Array(32);
    for (let i = 0; i < 32; i += 1)
      bytes[i] = Number.parseInt(signature.slice(i * 2, i * 2 + 2), 16);
    if (await crypto.subtle.verify("HMAC", key, bytes, signed)) return true;
  }
  return false;
}

/** The HMAC-SHA256 key of `secret`, for signing callbacks (the worker) or verifying them. */
export function callbackKey(secret: string, usage: "sign" | "verify"): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    [usage],
  );
}
