/**
 * The pieces every public read route declares alike (the listing, one item, the export, search
 * and the syndication feeds): who may call, the conditional-request header and the problems of a
 * read, so every read answers the same way.
 *
 * @module
 */
import * as z from "zod";

// Reads are public unless FEED_READS_PRIVATE is "true"; then they need feed:read. While public,
// a bearer credential sent anyway must still verify (401 otherwise).
export const READ_ACCESS = { scope: "feed:read", publicUnless: "FEED_READS_PRIVATE" } as const;

export const readProblems = {
  401: "A bearer credential was sent that does not verify (also while reads are public), or reads are private (FEED_READS_PRIVATE) and none was sent",
  403: "Reads are private and the credentials lack feed:read",
  429: "More reads than READ_REQUESTS_PER_MINUTE from this client address (or key, when private)",
};

export const READS_NOT_CONFIGURED =
  "Reads are private and neither API_KEYS nor a JWT issuer is set outside development (not-configured)";

export const conditional = z.object({
  "if-none-match": z
    .string()
    .optional()
    .meta({ description: "An ETag from an earlier answer: 304 while it still matches" }),
});

export const textHeader = { schema: { type: "string" as const } };

/** ETag and Cache-Control of a cacheable read; `strength` says which kind of ETag. */
export function cachedHeaders(strength: "Weak" | "Strong") {
  return {
    ETag: { description: `${strength} ETag of the body`, ...textHeader },
    "Cache-Control": {
      description:
        "`private, no-cache` (revalidate before reuse) while reads are public; `no-store` once they need a key",
      ...textHeader,
    },
  };
}
