// A reference for the benchmark only: limit's queue as it was before it kept the caller's
// async context. The call that frees a slot starts the next waiting fn itself, synchronously,
// so no gate promise is needed, and that fn runs in the releasing call's context. Measuring
// limit against it isolates what keeping the context costs.

interface Waiting {
  fn: () => unknown;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
  next: Waiting | undefined;
}

/** Runs at most `max` of the given functions at once; queued ones start from the releaser. */
export function noContextLimit(max: number): <R>(fn: () => PromiseLike<R> | R) => Promise<R> {
  let active = 0;
  let head: Waiting | undefined;
  let tail: Waiting | undefined;
  const release = (): void => {
    active--;
    const call = head;
    if (call === undefined) return;
    head = call.next;
    if (head === undefined) tail = undefined;
    active++;
    settle(call.fn, call.resolve, call.reject);
  };
  const settle = (
    fn: () => unknown,
    resolve: (value: unknown) => void,
    reject: (reason: unknown) => void,
  ): void => {
    let out: unknown;
    try {
      out = fn();
    } catch (error) {
      release();
      reject(error);
      return;
    }
    Promise.resolve(out).then(
      (value) => {
        release();
        resolve(value);
      },
      (error) => {
        release();
        reject(error);
      },
    );
  };
  return <R>(fn: () => PromiseLike<R> | R): Promise<R> =>
    new Promise<R>((resolve, reject) => {
      const call: Waiting = {
        fn,
        resolve: resolve as (value: unknown) => void,
        reject,
        next: undefined,
      };
      if (active < max) {
        active++;
        settle(fn, call.resolve, reject);
        return;
      }
      if (tail === undefined) head = call;
      else tail.next = call;
      tail = call;
    });
}
