// The part of node:zlib that body.ts uses. This package does not depend on @types/node; Node and
// workerd (with the nodejs_compat flag) provide the module at run time.
declare module "node:zlib" {
  interface ZlibOptions {
    /** Largest output, in bytes; more throws a RangeError and stops decompressing. */
    maxOutputLength?: number | undefined;
  }
  interface BrotliOptions {
    maxOutputLength?: number | undefined;
  }
  function gunzipSync(buffer: Uint8Array, options?: ZlibOptions): Uint8Array;
  function inflateSync(buffer: Uint8Array, options?: ZlibOptions): Uint8Array;
  function brotliDecompressSync(buffer: Uint8Array, options?: BrotliOptions): Uint8Array;
}
