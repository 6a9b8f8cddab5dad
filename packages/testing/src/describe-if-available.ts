import { describe, test } from 'node:test';

/** What `requireService` answers, or any condition of the same shape. */
export type Availability = { readonly skip: false } | { readonly skip: string };

/**
 * `describe(name, fn)` when the suite can run. When it cannot, Node's test runner would count a
 * skipped suite nowhere (its tests are never registered, so `# skipped` stays 0 and the run looks
 * complete): this registers one skipped test in its place, named after the suite and saying why,
 * so every skip shows in the totals.
 *
 * @example
 * describeIfAvailable('admin API on PostgreSQL', await requireService('postgres'), () => { … });
 */
export function describeIfAvailable(name: string, availability: Availability, fn: () => void): void {
  if (availability.skip === false) {
    void describe(name, fn);
    return;
  }
  void test(`${name} (every test of this suite skipped)`, { skip: availability.skip }, () => {});
}
