/** A failed call to another worker as the fragment htmx swaps in: its reason, with its status. */
import type { Context } from "hono";
import type { ConsoleEnv } from "../env.ts";
import { describeFailure } from "../worker-error.ts";

/** Answers `error` as an alert element (`p`, or `li` inside a list), status from describeFailure. */
export function failureFragment(c: Context<ConsoleEnv>, error: unknown, tag: "p" | "li" = "p") {
  const failure = describeFailure(error);
  const Alert = tag;
  return c.html(
    <Alert role="alert" class="error">
      {failure.message}
    </Alert>,
    failure.status,
  );
}
