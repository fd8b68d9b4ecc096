/** A failed call to another worker as the fragment htmx swaps in, or as a whole page: its reason, with its status. */
import type { Context } from "hono";
import type { ConsoleEnv } from "../env.ts";
import { describeFailure } from "../worker-error.ts";
import { Layout, type Section } from "./layout.tsx";

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

/** Answers `error` as a whole signed-in page holding the alert, status from describeFailure. */
export function failurePage(
  c: Context<ConsoleEnv>,
  error: unknown,
  page: { title: string; section: Section },
) {
  const failure = describeFailure(error);
  return c.html(
    <Layout title={page.title} section={page.section} signedIn>
      <p role="alert" class="error">
        {failure.message}
      </p>
    </Layout>,
    failure.status,
  );
}
