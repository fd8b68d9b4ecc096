// The feed's typed client checks itself against the feed's own sources, which read these vars of
// the feed's Env: declared here (optional, never set on the console) so the console's typecheck,
// which sees those sources under its own Env, accepts them. The console reads none but the first.
declare namespace Cloudflare {
  interface Env {
    CONSOLE_SESSION_SECRET?: string;
    READ_REQUESTS_PER_MINUTE?: string;
    WRITE_REQUESTS_PER_MINUTE?: string;
    CURSOR_SECRET?: string;
    ENABLE_BENCH_ROUTES?: string;
  }
}
