import { replaceUnsafeText } from '@rampart/sdk';
import type { SearchHit } from '@rampart/audit';
import type { Color } from './terminal.ts';

/** One column of `rampart audit search|tail`: its heading, the event field it shows, its width. */
interface Column {
  readonly heading: string;
  readonly value: (hit: SearchHit) => string;
  /** Longest value shown; longer ones are cut with `…` (never for ids one copies into a filter). */
  readonly max?: number;
  readonly color?: (value: string) => Color | undefined;
}

const field = (name: string) => (hit: SearchHit) => {
  const value = hit.event[name];
  return typeof value === 'string' ? value : '-';
};

/** The viewer's zone and its offset now, as the times are shown in it: `Europe/Paris, UTC+01:00`. */
export function localZone(): string {
  const offset = -new Date().getTimezoneOffset();
  const abs = Math.abs(offset);
  const hhmm = `${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `${Intl.DateTimeFormat().resolvedOptions().timeZone}, UTC${offset < 0 ? '-' : '+'}${hhmm}`;
}

/** `2026-12-07 13:04:05.123` in the viewer's zone; the stored text when it is not a time. */
export function localTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const two = (n: number): string => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ` +
    `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.` +
    String(date.getMilliseconds()).padStart(3, '0')
  );
}

const COLUMNS: readonly Column[] = [
  { heading: 'seq', value: (hit) => String(hit.seq) },
  {
    heading: 'time',
    value: (hit) => {
      const time = hit.event['time'];
      return typeof time === 'string' ? localTime(time) : '-';
    },
  },
  { heading: 'event', value: field('event'), max: 40 },
  {
    heading: 'outcome',
    value: field('outcome'),
    color: (value) => (value === 'failure' ? 'red' : value === 'success' ? 'green' : undefined),
  },
  { heading: 'reason', value: field('reason'), max: 32 },
  { heading: 'service', value: field('service'), max: 24 },
  { heading: 'subject', value: field('subject') },
  { heading: 'client', value: field('clientId'), max: 32 },
  { heading: 'ip', value: field('sourceIp') },
  { heading: 'route', value: field('route'), max: 48 },
  { heading: 'trace', value: field('traceId') },
];

/** Column widths, grown to fit what has been shown (`tail` keeps them from batch to batch). */
export type Widths = number[];

export function initialWidths(): Widths {
  return COLUMNS.map((column) => (column.heading === 'time' ? 23 : column.heading.length));
}

function cell(column: Column, hit: SearchHit): string {
  // A tampered row must not move the operator's cursor, recolour the screen or reorder it.
  const value = replaceUnsafeText(column.value(hit), '?');
  return column.max !== undefined && value.length > column.max ? `${value.slice(0, column.max - 1)}…` : value;
}

/** Widens `widths` to fit `hits` (in place) and returns it. */
export function fit(widths: Widths, hits: readonly SearchHit[]): Widths {
  for (const hit of hits) {
    COLUMNS.forEach((column, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell(column, hit).length);
    });
  }
  return widths;
}

export function headerLine(widths: Widths, paint: (color: Color, text: string) => string): string {
  const zone = localZone();
  const line = COLUMNS.map((column, i) => column.heading.padEnd(widths[i] ?? 0)).join('  ');
  return `${paint('bold', line.trimEnd())}\n${paint('gray', `(times in ${zone})`)}\n`;
}

export function rowLine(
  widths: Widths,
  hit: SearchHit,
  paint: (color: Color, text: string) => string,
): string {
  return `${COLUMNS.map((column, i) => {
    const value = cell(column, hit);
    const padded = value.padEnd(widths[i] ?? 0);
    const color = column.color?.(value);
    return color === undefined ? padded : paint(color, padded);
  })
    .join('  ')
    .trimEnd()}\n`;
}

/** One line of JSON: the event as stored, with its `seq` first. */
export function jsonLine(hit: SearchHit): string {
  return `${JSON.stringify(Object.assign({ seq: hit.seq }, hit.event, { seq: hit.seq }))}\n`;
}
