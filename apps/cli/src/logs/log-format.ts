import { replaceUnsafeText } from '@rampart/sdk';
import { paint, type Color } from '../terminal.ts';
import type { LogRecord } from './log-record.ts';

/** What stands for a control or bidirectional character a line held: never printed raw. */
export const MASKED_CHARACTER = '\ufffd';

/** Fields every line has, or that the pretty form shows in its own columns. */
const OWN_COLUMNS = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'v']);

const LEVEL_NAMES: Readonly<Record<number, readonly [string, Color]>> = {
  10: ['TRACE', 'gray'],
  20: ['DEBUG', 'gray'],
  30: ['INFO', 'green'],
  40: ['WARN', 'yellow'],
  50: ['ERROR', 'red'],
  60: ['FATAL', 'red'],
};

/** Text safe on any terminal: controls and bidirectional characters masked, lone surrogates replaced. */
export function safeText(text: string): string {
  return replaceUnsafeText(text, MASKED_CHARACTER).toWellFormed();
}

/**
 * `--json`: the line as one JSON object (re-serialized: `JSON.stringify` escapes C0 controls, and
 * what it leaves raw — DEL, C1, line separators, bidirectional controls — is masked, so the line
 * stays valid JSON). A line that was not JSON becomes `{"component":…,"text":…}`.
 *
 * @example
 * formatJson(record); // '{"level":30,"time":…,"name":"gateway","msg":"request",…}\n'
 */
export function formatJson(record: LogRecord): string {
  const value = record.fields ?? { component: record.component, text: record.text };
  return `${safeText(JSON.stringify(value))}\n`;
}

export interface PrettyOptions {
  /** Component names are padded to this width, so messages line up. */
  readonly componentWidth: number;
  readonly color: boolean;
}

/**
 * The readable form: local time, component, level, message, then `key=value` for each other field
 * in the line's order (`err` as its type and message; objects as compact JSON). Plain text when
 * `color` is off.
 *
 * @example
 * formatPretty(record, { componentWidth: 8, color: false });
 * // '2026-12-07 10:15:02.123 gateway  INFO  request method=GET route=/orders/{id} status=200 …\n'
 */
export function formatPretty(record: LogRecord, options: PrettyOptions): string {
  const color = paint(options.color);
  const component = safeText(record.component).padEnd(options.componentWidth);
  const { fields } = record;
  // A line that is not a log object has no time of its own: the column stays blank.
  if (fields === undefined) {
    return `${' '.repeat(23)} ${color('cyan', component)} ${' '.repeat(5)} ${safeText(record.text)}\n`;
  }
  const time = record.time === undefined ? ' '.repeat(23) : localTime(record.time);
  const [levelName, levelColor] = LEVEL_NAMES[record.level ?? 0] ?? [String(record.level ?? '?'), 'gray'];
  const msg = typeof fields['msg'] === 'string' ? safeText(fields['msg']) : '';
  const rest: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (OWN_COLUMNS.has(key) || value === undefined) continue;
    rest.push(`${color('gray', `${safeText(key)}=`)}${safeText(valueText(key, value))}`);
  }
  const level = color(levelColor, levelName.padEnd(5));
  return `${color('gray', time)} ${color('cyan', component)} ${level} ${msg}${rest.length === 0 ? '' : ` ${rest.join(' ')}`}\n`;
}

function valueText(key: string, value: unknown): string {
  if (key === 'err' && typeof value === 'object' && value !== null) {
    const { type, message } = value as { type?: unknown; message?: unknown };
    return JSON.stringify(`${typeof type === 'string' ? type : 'Error'}: ${String(message)}`);
  }
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return JSON.stringify(value);
}

/** `YYYY-MM-DD HH:MM:SS.mmm` in the local zone. */
export function localTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return (
    `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`
  );
}
