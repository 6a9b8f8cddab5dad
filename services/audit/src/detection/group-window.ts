import { MAX_EVIDENCE, type EventRef } from './alert.ts';
import type { DetectionEvent, Threshold } from './rule.ts';

interface Entry {
  readonly t: number;
  /** Counted by the threshold: every event, or only failures when the rule has a ratio. */
  readonly counted: boolean;
  /** The values of the `distinct` field, then of each `minDistinct` field (undefined: absent). */
  readonly values: readonly (string | undefined)[];
  readonly ref: EventRef;
}

/** What a group's window holds after an event, when its threshold is met. */
export interface Crossing {
  readonly count: number;
  readonly evidence: readonly EventRef[];
}

/**
 * The sliding window of one group of one rule: the events of the last `windowMs` (by event time),
 * at most `cap` of them (the oldest go first), with running counts so each event costs O(1) unless
 * it arrives out of order. After the threshold is crossed the group is quiet for one window.
 */
export class GroupWindow {
  readonly #threshold: Threshold;
  readonly #cap: number;
  readonly #fields: readonly (keyof DetectionEvent)[];
  readonly #entries: Entry[] = [];
  #counted = 0;
  /** Per distinct field (same order as `#fields`): value → how many counted entries hold it. */
  readonly #distinct: Map<string, number>[];
  #latest = -Infinity;
  #quietUntil = -Infinity;

  constructor(threshold: Threshold, cap: number) {
    this.#threshold = threshold;
    this.#cap = cap;
    this.#fields = [
      ...(threshold.distinct === undefined ? [] : [threshold.distinct]),
      ...threshold.minDistinct.map(([field]) => field),
    ];
    this.#distinct = this.#fields.map(() => new Map<string, number>());
  }

  /** How many events the window holds now. */
  get size(): number {
    return this.#entries.length;
  }

  /**
   * Adds one event at time `t` (ms); returns the crossing if the threshold is met now and the
   * group is not quiet, and starts a quiet window. An event older than the window is ignored.
   */
  add(event: DetectionEvent, t: number, ref: EventRef): Crossing | undefined {
    const { windowMs, ratio } = this.#threshold;
    if (t <= this.#latest - windowMs) return undefined;
    const entry: Entry = {
      t,
      counted: ratio === undefined || event.outcome === 'failure',
      values: this.#fields.map((field) => event[field]),
      ref,
    };
    this.#insert(entry);
    if (t > this.#latest) this.#latest = t;
    while (this.#entries.length > 0 && (this.#entries[0]?.t ?? Infinity) <= this.#latest - windowMs) {
      this.#removeOldest();
    }
    while (this.#entries.length > this.#cap) this.#removeOldest();
    if (!entry.counted || this.#latest < this.#quietUntil) return undefined;
    const count = this.#count();
    if (count < this.#threshold.count || !this.#enoughDistinct() || !this.#ratioMet()) return undefined;
    this.#quietUntil = this.#latest + windowMs;
    return { count, evidence: this.#evidence() };
  }

  #count(): number {
    if (this.#threshold.distinct === undefined) return this.#counted;
    return this.#distinct[0]?.size ?? 0;
  }

  #enoughDistinct(): boolean {
    const offset = this.#threshold.distinct === undefined ? 0 : 1;
    return this.#threshold.minDistinct.every(
      ([, minimum], index) => (this.#distinct[index + offset]?.size ?? 0) >= minimum,
    );
  }

  #ratioMet(): boolean {
    const { ratio } = this.#threshold;
    return ratio === undefined || this.#counted >= ratio * this.#entries.length;
  }

  #evidence(): EventRef[] {
    const refs: EventRef[] = [];
    for (let index = this.#entries.length - 1; index >= 0 && refs.length < MAX_EVIDENCE; index -= 1) {
      const entry = this.#entries[index];
      if (entry?.counted === true) refs.push(entry.ref);
    }
    return refs.reverse();
  }

  /** Keeps the entries sorted by time: events mostly arrive in order, so this is usually a push. */
  #insert(entry: Entry): void {
    let index = this.#entries.length;
    while (index > 0 && (this.#entries[index - 1]?.t ?? -Infinity) > entry.t) index -= 1;
    this.#entries.splice(index, 0, entry);
    if (!entry.counted) return;
    this.#counted += 1;
    entry.values.forEach((value, field) => {
      const counts = this.#distinct[field];
      if (value !== undefined && counts !== undefined) counts.set(value, (counts.get(value) ?? 0) + 1);
    });
  }

  #removeOldest(): void {
    const entry = this.#entries.shift();
    if (entry?.counted !== true) return;
    this.#counted -= 1;
    entry.values.forEach((value, field) => {
      const counts = this.#distinct[field];
      if (value === undefined || counts === undefined) return;
      const left = (counts.get(value) ?? 1) - 1;
      if (left === 0) counts.delete(value);
      else counts.set(value, left);
    });
  }
}
