/**
 * Tells live readers (the SSE stream) that the ledger grew. It carries no events — a reader reads
 * its page from the store with its own filter — only the wake-up, so a slow reader holds nothing.
 *
 * @example
 * const feed = createEventFeed();
 * feed.notify(); // after an append
 * const woken = await feed.next(AbortSignal.timeout(15_000)); // true on the next notify, false when aborted
 */
export interface EventFeed {
  notify(): void;
  /** Resolves `true` at the next `notify`, `false` when `signal` aborts first (never rejects). */
  next(signal: AbortSignal): Promise<boolean>;
}

export function createEventFeed(): EventFeed {
  let waiters = new Set<() => void>();
  return {
    notify() {
      const woken = waiters;
      waiters = new Set();
      for (const wake of woken) wake();
    },
    next(signal) {
      return new Promise((resolve) => {
        if (signal.aborted) {
          resolve(false);
          return;
        }
        const wake = (): void => {
          signal.removeEventListener('abort', onAbort);
          resolve(true);
        };
        const onAbort = (): void => {
          waiters.delete(wake);
          resolve(false);
        };
        waiters.add(wake);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}
