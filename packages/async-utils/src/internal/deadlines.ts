// The absolute deadline (epoch ms) of each signal made by the deadline helpers, and of signals
// linked to one: what `remainingMs` and `deadlineHeader` read. Weak, so signals are not kept.
export const deadlines = new WeakMap<AbortSignal, number>();

/** Gives `child` the deadline of `parent`, if it has one: a linked signal aborts no later. */
export function inheritDeadline(child: AbortSignal, parent: AbortSignal): void {
  const expiresAt = deadlines.get(parent);
  if (expiresAt !== undefined) deadlines.set(child, expiresAt);
}
