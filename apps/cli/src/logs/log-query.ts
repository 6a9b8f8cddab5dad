import type { LogRecord } from './log-record.ts';

/** pino's levels. */
export const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type LevelName = keyof typeof LEVELS;

/** What `rampart logs` keeps of each line; every field given must match. */
export interface LogQuery {
  /** Only lines of this trace (32 lower-case hex). */
  readonly traceId?: string;
  /** Only lines at or after this time (ms since the epoch). */
  readonly since?: number;
  /** Only lines at or above this pino level. */
  readonly minLevel?: number;
}

/** A bad option value: the option and why, for exit status 2. */
export class LogQueryError extends Error {
  readonly option: string;
  constructor(option: string, reason: string) {
    super(`${option} ${reason}`);
    this.name = 'LogQueryError';
    this.option = option;
  }
}

const TRACE_ID = /^[0-9a-f]{32}$/;
const DURATION = /^([0-9]{1,9})(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** An ISO 8601 time with a zone (`Z` or `±hh:mm`). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * A W3C trace id as `--trace` takes it: 32 hex digits (upper case is read as lower), not all zeros.
 *
 * @example
 * parseTraceOption('4BF92F3577B34DA6A3CE929D0E0E4736'); // '4bf92f3577b34da6a3ce929d0e0e4736'
 */
export function parseTraceOption(value: string): string {
  const id = value.toLowerCase();
  if (!TRACE_ID.test(id)) {
    throw new LogQueryError('--trace', `must be a trace id of 32 hex digits, got ${describe(value)}`);
  }
  if (/^0+$/.test(id)) throw new LogQueryError('--trace', 'must not be all zeros (an invalid trace id)');
  return id;
}

/**
 * `--since`: an age (`90s`, `10m`, `2h`, `7d`, `500ms`) before `now`, or an ISO 8601 time with a zone.
 *
 * @example
 * parseSinceOption('10m', Date.now()); // ten minutes ago, in ms since the epoch
 */
export function parseSinceOption(value: string, now: number): number {
  const age = DURATION.exec(value);
  if (age !== null) return now - Number(age[1]) * UNIT_MS[age[2] as keyof typeof UNIT_MS];
  const time = ISO_TIME.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) {
    throw new LogQueryError(
      '--since',
      `must be a duration (30s, 10m, 2h, 7d) or an ISO 8601 time with a zone, got ${describe(value)}`,
    );
  }
  return time;
}

/** `--level`: a pino level name. */
export function parseLevelOption(value: string): number {
  const level = (LEVELS as Record<string, number>)[value];
  if (level === undefined || !Object.hasOwn(LEVELS, value)) {
    throw new LogQueryError(
      '--level',
      `must be one of ${Object.keys(LEVELS).join(', ')}, got ${describe(value)}`,
    );
  }
  return level;
}

/**
 * Whether `record` is kept. A line that is not a log object (a stack trace on stderr) has no
 * level and no trace: a level filter keeps it (it is what a crash looks like), a trace filter does
 * not; `since` judges it by the time of the line before it.
 */
export function matches(record: LogRecord, query: LogQuery): boolean {
  if (query.traceId !== undefined && record.fields?.['traceId'] !== query.traceId) return false;
  if (query.since !== undefined && (record.time === undefined || record.time < query.since)) return false;
  if (query.minLevel !== undefined && record.level !== undefined && record.level < query.minLevel)
    return false;
  return true;
}

/** A value in a message: quoted, at most 64 characters, control characters escaped. */
function describe(value: string): string {
  const shown = value.length > 64 ? `${value.slice(0, 64)}…` : value;
  return JSON.stringify(shown);
}
