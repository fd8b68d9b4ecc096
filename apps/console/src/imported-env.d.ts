// A secret, so `wrangler types` (which reads only wrangler.jsonc) does not list it: declared here,
// optional because production without it answers 503 and development falls back to a dev value.
declare namespace Cloudflare {
  interface Env {
    CONSOLE_SESSION_SECRET?: string;
  }
}
