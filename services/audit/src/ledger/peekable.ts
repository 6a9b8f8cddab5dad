/** An async iterator that can look a few items ahead without losing them. */
export interface Peekable<T> {
  next(): Promise<T | undefined>;
  /** Up to `count` of the items `next` will return, without consuming them. */
  peek(count: number): Promise<readonly T[]>;
}

export function peekable<T>(source: AsyncIterable<T> | Iterable<T>): Peekable<T> {
  const iterator =
    Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : toAsync(source[Symbol.iterator]());
  const buffer: T[] = [];
  let done = false;
  async function pull(): Promise<boolean> {
    if (done) return false;
    const result = await iterator.next();
    if (result.done === true) {
      done = true;
      return false;
    }
    buffer.push(result.value);
    return true;
  }
  return {
    async next() {
      if (buffer.length === 0 && !(await pull())) return undefined;
      return buffer.shift();
    },
    async peek(count) {
      while (buffer.length < count && (await pull()));
      return buffer.slice(0, count);
    },
  };
}

function toAsync<T>(iterator: Iterator<T>): AsyncIterator<T> {
  return { next: () => Promise.resolve(iterator.next()) };
}
