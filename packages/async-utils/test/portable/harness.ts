/**
 * `describe` and `it` for the portable suite, bound to each runtime's own test runner: vitest
 * under Node and workerd, `bun:test` under Bun, `Deno.test` under Deno. Assertions come from
 * `node:assert/strict`, which all four runtimes provide, so the same files run everywhere with no
 * `expect` look-alike to trust. Specifiers are variables so that neither tsc nor a bundler tries
 * to resolve another runtime's module.
 */

/** A test body: may return a promise, which the runner awaits. */
export type TestBody = () => void | Promise<void>;

interface Runner {
  describe(name: string, body: () => void): void;
  it(name: string, body: TestBody): void;
}

interface DenoTest {
  test(definition: { name: string; fn: TestBody }): void;
}

/** Deno.test has no nesting at registration time: describe blocks become a name prefix. */
function denoRunner(deno: DenoTest): Runner {
  const prefix: string[] = [];
  return {
    describe(name, body) {
      prefix.push(name);
      try {
        body();
      } finally {
        prefix.pop();
      }
    },
    it(name, fn) {
      deno.test({ name: [...prefix, name].join(" > "), fn });
    },
  };
}

async function loadRunner(): Promise<Runner> {
  const { Deno, Bun } = globalThis as { Deno?: DenoTest; Bun?: unknown };
  if (Deno !== undefined) return denoRunner(Deno);
  const specifier = Bun !== undefined ? "bun:test" : "vitest";
  return (await import(/* @vite-ignore */ specifier)) as Runner;
}

/** The name of the runtime running the suite, for messages. */
export const runtime: string =
  "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "vitest";

const runner = await loadRunner();

/** Groups tests under a name (a name prefix under Deno). */
export const describe: Runner["describe"] = (name, body) => runner.describe(name, body);

/** Registers one test with the runtime's runner. */
export const it: Runner["it"] = (name, body) => runner.it(name, body);

/** Lets every queued microtask (and promise chain of modest depth) run. */
export async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** Resolves after `ms` real milliseconds (the portable suite has no fake clock). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
