// Counts of two kinds of event (say successes and failures, or calls and retries) over the last
// `windowMs`, kept in a fixed ring of time slices: O(1) memory and time per event, no timers.
// The window is the current slice and the `slices - 1` before it, so it spans between
// windowMs - windowMs/slices and windowMs; a slice leaves the window whole.

export class SlidingCounts {
  readonly #sliceMs: number;
  readonly #first: Float64Array;
  readonly #second: Float64Array;
  readonly #now: () => number;
  #slice = Number.NEGATIVE_INFINITY;
  #firstTotal = 0;
  #secondTotal = 0;

  constructor(windowMs: number, slices: number, now: () => number) {
    this.#sliceMs = windowMs / slices;
    this.#first = new Float64Array(slices);
    this.#second = new Float64Array(slices);
    this.#now = now;
  }

  /** Events of the first kind in the window now. */
  get first(): number {
    this.#advance();
    return this.#firstTotal;
  }

  /** Events of the second kind in the window now. */
  get second(): number {
    this.#advance();
    return this.#secondTotal;
  }

  addFirst(): void {
    const at = this.#advance();
    this.#first[at] = (this.#first[at] as number) + 1;
    this.#firstTotal++;
  }

  addSecond(): void {
    const at = this.#advance();
    this.#second[at] = (this.#second[at] as number) + 1;
    this.#secondTotal++;
  }

  clear(): void {
    this.#first.fill(0);
    this.#second.fill(0);
    this.#firstTotal = 0;
    this.#secondTotal = 0;
  }

  /** Drops the slices that left the window and returns the index of the current one. */
  #advance(): number {
    const slices = this.#first.length;
    const slice = Math.floor(this.#now() / this.#sliceMs);
    // A clock that steps back keeps counting into the newest slice rather than rewinding.
    if (slice > this.#slice) {
      if (slice - this.#slice >= slices) {
        this.clear();
      } else {
        for (let s = this.#slice + 1; s <= slice; s++) {
          const at = ((s % slices) + slices) % slices;
          this.#firstTotal -= this.#first[at] as number;
          this.#secondTotal -= this.#second[at] as number;
          this.#first[at] = 0;
          this.#second[at] = 0;
        }
      }
      this.#slice = slice;
    }
    return ((this.#slice % slices) + slices) % slices;
  }
}

/** The outcomes of the last `size` calls (true: failed), in a fixed ring. */
export class OutcomeRing {
  readonly #failed: Uint8Array;
  #next = 0;
  #filled = 0;
  #failures = 0;

  constructor(size: number) {
    this.#failed = new Uint8Array(size);
  }

  /** Calls recorded, up to the ring's size. */
  get calls(): number {
    return this.#filled;
  }

  /** Failures among them. */
  get failures(): number {
    return this.#failures;
  }

  add(failed: boolean): void {
    const ring = this.#failed;
    if (this.#filled === ring.length) this.#failures -= ring[this.#next] as number;
    else this.#filled++;
    ring[this.#next] = failed ? 1 : 0;
    if (failed) this.#failures++;
    this.#next = (this.#next + 1) % ring.length;
  }

  clear(): void {
    this.#failed.fill(0);
    this.#next = 0;
    this.#filled = 0;
    this.#failures = 0;
  }
}
