/**
 * A first-in first-out queue of at most `capacity` items: pushing onto a full queue drops the
 * oldest and returns it. A ring buffer: push and shift are O(1), memory is fixed.
 */
export class BoundedQueue<T> {
  readonly capacity: number;
  readonly #items: (T | undefined)[];
  #head = 0;
  #length = 0;

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new TypeError('capacity must be a positive integer');
    }
    this.capacity = capacity;
    this.#items = new Array<T | undefined>(capacity);
  }

  get length(): number {
    return this.#length;
  }

  /** Adds `item` last; returns the item dropped to make room, if the queue was full. */
  push(item: T): T | undefined {
    let dropped: T | undefined;
    if (this.#length === this.capacity) dropped = this.shift();
    this.#items[(this.#head + this.#length) % this.capacity] = item;
    this.#length += 1;
    return dropped;
  }

  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.capacity;
    this.#length -= 1;
    return item;
  }
}
