/** The page frame: head with the bundled assets, a skip link, the navigation and sign-out. */
import { raw } from "hono/html";
import type { Child } from "hono/jsx";

export type Section = "jobs" | "feed" | "aggregator";

const SECTIONS: [Section, string][] = [
  ["jobs", "Jobs"],
  ["feed", "Feed"],
  ["aggregator", "Aggregator"],
];

export function Layout(props: {
  title: string;
  section?: Section;
  signedIn: boolean;
  children: Child;
}) {
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{`${props.title} · edge-async console`}</title>
          {/* Named here, so a browser asks for it from the assets and not for a missing /favicon.ico. */}
          <link rel="icon" href="/assets/favicon.svg" type="image/svg+xml" />
          <link rel="stylesheet" href="/assets/uPlot.min.css" />
          <link rel="stylesheet" href="/assets/console.css" />
          <script src="/assets/htmx.min.js" defer />
          <script src="/assets/uPlot.iife.min.js" defer />
          <script src="/assets/console.js" defer />
        </head>
        <body>
          <a class="skip" href="#main">
            Skip to content
          </a>
          <header class="top">
            <span class="brand">edge-async console</span>
            {props.signedIn ? (
              <nav aria-label="Sections">
                {SECTIONS.map(([section, label]) => (
                  <a
                    href={`/${section}`}
                    aria-current={section === props.section ? "page" : undefined}
                  >
                    {label}
                  </a>
                ))}
              </nav>
            ) : null}
            {props.signedIn ? (
              <form method="post" action="/signout" class="signout">
                <button type="submit">Sign out</button>
              </form>
            ) : null}
          </header>
          <main id="main">
            <h1>{props.title}</h1>
            {props.children}
          </main>
        </body>
      </html>
    </>
  );
}
