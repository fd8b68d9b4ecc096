// A FIFO of pending waiters with O(1) push, shift and removal of any node.
// Semaphores, queues, token buckets and pools park their waiters here so that a waiter that is
// aborted leaves the list at once instead of lingering until it reaches the front.

export interface WaiterNode<T> {
  value: T;
  prev: WaiterNode<T> | undefined;
  next: WaiterNode<T> | undefined;
  /** False once the node has left the list (shifted or removed). */
  linked: boolean;
}

export class WaiterList<T> {
  #head: WaiterNode<T> | undefined;
  #tail: WaiterNode<T> | undefined;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(value: T): WaiterNode<T> {
    const node: WaiterNode<T> = { value, prev: this.#tail, next: undefined, linked: true };
    if (this.#tail === undefined) this.#head = node;
    else this.#tail.next = node;
    this.#tail = node;
    this.#size++;
    return node;
  }

  peek(): T | undefined {
    return this.#head?.value;
  }

  shift(): T | undefined {
    const node = this.#head;
    if (node === undefined) return undefined;
    this.remove(node);
    return node.value;
  }

  /** Unlinks `node`; a node that already left the list is ignored. */
  remove(node: WaiterNode<T>): void {
    if (!node.linked) return;
    node.linked = false;
    if (node.prev === undefined) this.#head = node.next;
    else node.prev.next = node.next;
    if (node.next === undefined) this.#tail = node.prev;
    else node.next.prev = node.prev;
    node.prev = undefined;
    node.next = undefined;
    this.#size--;
  }

  /** Empties the list and returns what it held, oldest first. */
  drain(): T[] {
    const values: T[] = [];
    while (this.#head !== undefined) {
      values.push(this.#head.value);
      this.remove(this.#head);
    }
    return values;
  }
}
