import { type InvalidParam, invalidInput, notConfigured } from "@edge-async/http";
import type { CallPlan, CallReport } from "./aggregate.ts";
import type { Config, ViewConfig } from "./config.ts";
import { planRequest } from "./plan.ts";
import type { CallLines } from "./stream.ts";
import type { ViewAnswer } from "./views-contract.ts";

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The query parameters a view needs: every `{name}` placeholder of its URL templates. */
export function viewParameters(view: Pick<ViewConfig, "parts">): string[] {
  const names = new Set<string>();
  for (const template of Object.values(view.parts)) {
    for (const match of template.matchAll(PLACEHOLDER)) names.add(match[1] as string);
  }
  return [...names].sort();
}

/**
 * Builds the call of a view: each part's URL template filled from the query string (values are
 * percent-encoded, and "." and ".." refused, so they cannot add or remove path segments nor add
 * query parameters). A missing, repeated or unknown parameter answers 400 naming it; a template
 * that does not yield a URL is a configuration error (503 not-configured naming VIEWS, the one
 * answer of a misconfigured worker).
 */
export function planView(
  name: string,
  view: ViewConfig,
  query: Readonly<Record<string, string[]>>,
  config: Config,
): CallPlan {
  const parameters = viewParameters(view);
  const errors: InvalidParam[] = Object.keys(query)
    .filter((parameter) => !parameters.includes(parameter))
    .map((parameter) => ({
      parameter,
      detail: `is not a parameter of view ${name} (it takes ${parameters.join(", ") || "none"})`,
    }));
  const values = new Map<string, string>();
  for (const parameter of parameters) {
    const given = query[parameter];
    if (given === undefined || given.length === 0 || given[0] === "") {
      errors.push({ parameter, detail: `view ${name} needs ${parameter}` });
    } else if (given.length > 1) {
      errors.push({ parameter, detail: "give it once" });
    } else if (given[0] === "." || given[0] === "..") {
      // encodeURIComponent keeps dots, and a URL resolves "." and ".." as path steps.
      errors.push({
        parameter,
        detail: `cannot be "${given[0]}": it would step out of the view's path`,
      });
    } else {
      values.set(parameter, given[0] as string);
    }
  }
  if (errors.length > 0) throw invalidInput(errors);
  const requests = Object.entries(view.parts).map(([part, template]) => {
    const url = template.replace(PLACEHOLDER, (_, parameter: string) =>
      encodeURIComponent(values.get(parameter) ?? ""),
    );
    if (!URL.canParse(url)) {
      throw notConfigured(
        "VIEWS",
        `has a part ${part} of view ${name} that does not yield an absolute URL`,
      );
    }
    return planRequest(
      {
        id: part,
        url,
        method: "GET",
        headers: { accept: "application/json" },
        ...(view.timeoutMs === undefined ? {} : { timeoutMs: view.timeoutMs }),
        ...(view.cacheTtlSeconds === undefined ? {} : { cacheTtlSeconds: view.cacheTtlSeconds }),
      },
      config,
    );
  });
  return {
    requests,
    concurrency: Math.min(view.concurrency ?? config.defaultConcurrency, config.maxConcurrency),
    deadlineMs: Math.min(view.deadlineMs ?? config.defaultDeadlineMs, config.maxDeadlineMs),
    failFast: false,
  };
}

/** Merges a view's results by part name. */
export function mergeView(name: string, report: CallReport): ViewAnswer {
  const data: ViewAnswer["data"] = {};
  const errors: ViewAnswer["errors"] = {};
  for (const result of report.results) {
    if (result.ok) {
      data[result.id] = result.body ?? null;
    } else {
      errors[result.id] = {
        code: result.error?.code ?? "http",
        message: result.error?.message ?? "failed",
        ...(result.status === undefined ? {} : { status: result.status }),
      };
    }
  }
  return {
    view: name,
    data,
    errors,
    complete: report.summary.failed === 0,
    summary: report.summary,
  };
}

/**
 * The lines of a streamed view: its parts and deadline first (so a waterfall can be laid out
 * before anything finishes), each part's timing and outcome as it finishes, then the answer.
 * Part lines leave the body out: the answer carries each one once.
 */
export function viewLines(name: string, plan: CallPlan, deadlineMs: number): CallLines {
  return {
    first: { start: { view: name, parts: plan.requests.map((part) => part.id), deadlineMs } },
    result: ({ body: _body, ...result }, index) => ({ index, ...result }),
    last: (report) => ({ answer: mergeView(name, report) }),
  };
}
