import { sentAsGivenUrl, text } from "@edge-async/http";

/**
 * A job's http(s) URL to fetch (`fetch`'s `url`, `ingest`'s `feedUrl`): stored and shown back as
 * given, and refused when fetch would not send it so (see sentAsGivenUrl).
 */
export const jobUrl = (name: string) =>
  sentAsGivenUrl(text(name).max(2048, "must be at most 2048 characters"), {
    notAbsolute: "must be an absolute http(s) URL",
    schemes: ["http", "https"],
  }).meta({
    format: "uri",
    description:
      "An absolute http(s) URL, stored and shown back as given and fetched as the URL parser serialises it (no fragment). Refused (400): a user name or password (fetch would drop them), a control character or space at either end, a tab or line break (the parser would drop them)",
  });
