/**
 * Deterministic fake data: the same id always yields the same user, orders and recommendations,
 * so README examples and tests can rely on exact values.
 *
 * @module
 */

const FIRST = ["Ada", "Grace", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Frances"];
const LAST = [
  "Lovelace",
  "Hopper",
  "Torvalds",
  "Hamilton",
  "Ritchie",
  "Liskov",
  "Thompson",
  "Allen",
];
const PLANS = ["free", "pro", "team"];
const PRODUCTS = [
  "Mechanical keyboard",
  "USB-C dock",
  "Noise-cancelling headphones",
  "Standing desk mat",
  "27-inch monitor",
  "Ergonomic mouse",
  "Webcam",
  "Desk lamp",
];
const STATUSES = ["delivered", "shipped", "processing"];

/** A small deterministic hash of a string (FNV-1a, 32 bits). */
function hash(text: string): number {
  let value = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    value ^= text.charCodeAt(index);
    value = Math.imul(value, 0x01000193) >>> 0;
  }
  return value;
}

function pick<T>(items: readonly T[], seed: number): T {
  return items[seed % items.length] as T;
}

/**
 * The user with this id.
 *
 * @example
 * ```ts
 * import { user } from "./data.ts";
 * console.assert(user("42").id === "42");
 * ```
 */
export function user(id: string) {
  const seed = hash(`user:${id}`);
  const first = pick(FIRST, seed);
  const last = pick(LAST, seed >>> 8);
  return {
    id,
    name: `${first} ${last}`,
    email: `${first}.${last}@example.com`.toLowerCase(),
    plan: pick(PLANS, seed >>> 16),
  };
}

/**
 * The most recent orders of a user, newest first.
 *
 * @example
 * ```ts
 * import { ordersOf } from "./data.ts";
 * console.assert(ordersOf("42", 3).length === 3);
 * ```
 */
export function ordersOf(userId: string, limit: number) {
  return Array.from({ length: limit }, (_, index) =>
    order(`${(hash(`orders:${userId}`) % 9000) + 1000 - index}`, userId),
  );
}

/**
 * One order.
 *
 * @example
 * ```ts
 * import { order } from "./data.ts";
 * console.assert(order("1001").id === "1001");
 * ```
 */
export function order(id: string, userId?: string) {
  const seed = hash(`order:${id}`);
  const quantity = (seed % 3) + 1;
  const unitCents = 1999 + (seed % 20) * 500;
  return {
    id,
    userId: userId ?? String((seed % 100) + 1),
    item: pick(PRODUCTS, seed >>> 4),
    quantity,
    total: { amount: ((quantity * unitCents) / 100).toFixed(2), currency: "EUR" },
    status: pick(STATUSES, seed >>> 12),
    placedAt: new Date(Date.UTC(2026, 9, 1) + (seed % 50) * 86_400_000).toISOString(),
  };
}

/**
 * Products recommended to a user, best first.
 *
 * @example
 * ```ts
 * import { recommendationsFor } from "./data.ts";
 * console.assert(recommendationsFor("42").length === 3);
 * ```
 */
export function recommendationsFor(userId: string) {
  const seed = hash(`recommendations:${userId}`);
  // Offsets 0, 3 and 6 of an 8-item list never collide: three distinct products.
  return [0, 1, 2].map((rank) => ({
    sku: `SKU-${((seed % PRODUCTS.length) + rank * 3) % PRODUCTS.length}${((seed >>> 8) % 900) + 100}`,
    title: pick(PRODUCTS, seed + rank * 3),
    score: Math.round((0.95 - rank * 0.12) * 100) / 100,
  }));
}

/**
 * A JSON Feed 1.1 document for queue-worker's `ingest` job: three posts with links and one
 * without (which ingest skips), on fixed dates so repeated runs create nothing new.
 *
 * @example
 * ```ts
 * import { jsonFeed } from "./data.ts";
 * const feed = jsonFeed("http://127.0.0.1:8790");
 * console.assert(feed.items.length === 4);
 * ```
 */
export function jsonFeed(origin: string) {
  const post = (n: number, title: string) => ({
    id: `post-${n}`,
    url: `${origin}/posts/${n}`,
    title,
    summary: `${title}: notes from the demo upstream.`,
    authors: [{ name: "Demo Author" }],
    date_published: `2026-11-${String(10 + n).padStart(2, "0")}T08:00:00Z`,
  });
  return {
    version: "https://jsonfeed.org/version/1.1",
    title: "Demo upstream feed",
    home_page_url: origin,
    feed_url: `${origin}/feed.json`,
    items: [
      post(1, "Structured concurrency on the edge"),
      post(2, "Backpressure in async iterators"),
      post(3, "Keyset pagination over D1"),
      { id: "draft-4", title: "A draft with no link yet", date_published: "2026-11-14T08:00:00Z" },
    ],
  };
}
