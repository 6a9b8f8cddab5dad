/** Times in the viewer's own time zone and locale (Intl), with the zone named. */
const dateTime = new Intl.DateTimeFormat(undefined, {
  // Fields, not dateStyle/timeStyle: those cannot be combined with timeZoneName.
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  timeZoneName: 'short',
});

/** `2026-12-07T16:49:58Z` → `7 Dec 2026, 17:49:58 CET` in the viewer's zone; `—` for none. */
export function formatTime(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : dateTime.format(date);
}

/** The viewer's time zone, as the pages name it. */
export function viewerTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** `<input type="datetime-local">` (viewer's zone) → ISO 8601 UTC, or undefined when empty. */
export function localInputToIso(value: string): string | undefined {
  if (value === '') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
