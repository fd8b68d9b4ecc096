/**
 * Media type of newline-delimited JSON.
 *
 * @example
 * ```ts
 * import { NDJSON_CONTENT_TYPE } from "./ndjson.ts";
 * const headers = { accept: NDJSON_CONTENT_TYPE };
 * ```
 */
export const NDJSON_CONTENT_TYPE = "application/x-ndjson";

/**
 * Whether the client asked for NDJSON (`Accept: application/x-ndjson`, not with `q=0`).
 *
 * @example
 * ```ts
 * import { wantsNdjson } from "./ndjson.ts";
 * console.assert(wantsNdjson("application/x-ndjson"));
 * console.assert(!wantsNdjson("application/json, application/x-ndjson;q=0"));
 * ```
 */
export function wantsNdjson(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  return accept.split(",").some((range) => {
    const [type = "", ...params] = range.split(";").map((part) => part.trim().toLowerCase());
    if (type !== NDJSON_CONTENT_TYPE) return false;
    const q = params.find((param) => param.startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/**
 * Writes one JSON value per line; false once the reader is gone.
 *
 * @example
 * ```ts
 * import type { LineWriter } from "./ndjson.ts";
 * const log: LineWriter = async (value) => (console.log(JSON.stringify(value)), true);
 * ```
 */
export type LineWriter = (value: unknown) => Promise<boolean>;

/**
 * A streaming NDJSON response fed by `produce`. Each `write` waits until the line is taken by the
 * reader (backpressure) and resolves false once the client has gone, so the producer can stop;
 * the stream closes when `produce` settles. `done` settles after that.
 *
 * @example
 * ```ts
 * import { ndjsonStream } from "./ndjson.ts";
 * const { response } = ndjsonStream(async (write) => {
 *   await write({ n: 1 });
 *   await write({ n: 2 });
 * });
 * console.assert((await response.text()) === '{"n":1}\n{"n":2}\n');
 * ```
 */
export function ndjsonStream(
  produce: (write: LineWriter) => Promise<void>,
  headers: Record<string, string> = {},
): { response: Response; done: Promise<void> } {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  const encoder = new TextEncoder();
  let open = true;
  const write: LineWriter = async (value) => {
    if (!open) return false;
    try {
      await writer.write(encoder.encode(`${JSON.stringify(value)}\n`));
      return true;
    } catch {
      open = false;
      return false;
    }
  };
  const done = produce(write)
    .then(
      () => (open ? writer.close() : undefined),
      (error: unknown) => {
        console.error("fetch-aggregator: NDJSON producer failed", error);
        return writer.abort(error);
      },
    )
    .catch(() => {});
  const response = new Response(readable, {
    headers: {
      ...headers,
      "content-type": `${NDJSON_CONTENT_TYPE}; charset=utf-8`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
  return { response, done };
}
