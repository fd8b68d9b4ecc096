import type { TestProject } from "vitest/node";
import { startStack, type WorkerName } from "../src/stack.ts";

declare module "vitest" {
  export interface ProvidedContext {
    urls: Record<WorkerName, string>;
  }
}

export default async function setup(project: TestProject) {
  const stack = await startStack();
  project.provide("urls", stack.urls);
  return () => stack.stop();
}
