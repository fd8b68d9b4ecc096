/**
 * An AbortController whose signal counts the abort listeners attached and explicitly removed,
 * so a test can assert that a primitive detaches what it attached.
 */
export function trackedController(): { controller: AbortController; listeners: () => number } {
  const controller = new AbortController();
  const signal = controller.signal;
  let live = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((
    type: string,
    listener: EventListener,
    options?: AddEventListenerOptions,
  ) => {
    if (type === "abort") live++;
    add(type, listener, options);
  }) as typeof signal.addEventListener;
  signal.removeEventListener = ((type: string, listener: EventListener) => {
    if (type === "abort") live--;
    remove(type, listener);
  }) as typeof signal.removeEventListener;
  return { controller, listeners: () => live };
}

/** A promise with its resolve/reject exposed, for driving tasks by hand. */
export function deferred<T = void>(): PromiseWithResolvers<T> {
  return Promise.withResolvers<T>();
}

/** Lets every queued microtask (and promise chain of modest depth) run. */
export async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}
