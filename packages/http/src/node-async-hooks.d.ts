// The part of node:async_hooks that observability/context.ts uses. This package does not depend on
// @types/node; workerd (with the nodejs_compat flag) and Node provide the module at run time.
declare module "node:async_hooks" {
  class AsyncLocalStorage<T> {
    getStore(): T | undefined;
    run<R>(store: T, callback: () => R): R;
  }
}
