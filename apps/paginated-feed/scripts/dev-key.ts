/**
 * The development key (`DEV_API_KEY` of @edge-async/http) for the Node scripts: `pnpm dev` prints
 * it and the benchmark sends it. The package's source is typed for the Workers runtime (its rate
 * limiting binding and streams), which this folder's Node tsconfig does not load, so the module is
 * imported by a name the compiler does not follow and only the key's type is stated.
 */
const http: string = "@edge-async/http";

/** `ea_dev_local-development-only-never-deploy`: every scope, accepted only in development. */
export const { DEV_API_KEY } = (await import(http)) as { DEV_API_KEY: string };
