/** The console's Hono environment: its bindings and what the session guard puts in `c.var`. */
import type { Session } from "./session.ts";

export interface ConsoleEnv {
  Bindings: Cloudflare.Env;
  Variables: { session: Session; cspNonce: () => string };
}
