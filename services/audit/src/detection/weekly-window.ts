/** The days of the week as rampart.yaml writes them. */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Hours on some days of the week in one time zone (`audit.adminWindow`). */
export interface WeeklyWindowSource {
  readonly days: readonly string[];
  /** `HH:MM`, local time, inclusive. */
  readonly from: string;
  /** `HH:MM` (up to `24:00`), local time, exclusive. */
  readonly to: string;
  /** An IANA zone: the local time follows its daylight-saving rules. */
  readonly timeZone: string;
}

/** Whether an instant (ms since the epoch) falls inside the window, in the window's zone. */
export type WeeklyWindow = (time: number) => boolean;

function minutesOf(clock: string): number {
  const match = /^([0-9]{2}):([0-9]{2})$/.exec(clock);
  if (match === null) throw new TypeError(`"${clock}" is not a time HH:MM`);
  return Number(match[1]) * 60 + Number(match[2]);
}

/**
 * The window as a test on instants. The zone's local weekday and time come from Intl (ICU's
 * time-zone data), so daylight saving is the zone's: `08:00` in Europe/Paris is 07:00 UTC in
 * winter and 06:00 UTC in summer. On the day clocks go forward, a local time that does not exist
 * is never reached; on the day they go back, the repeated hour is inside or outside as its clock
 * time says, both times.
 *
 * @example
 * const inside = weeklyWindow({ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '18:00', timeZone: 'Europe/Paris' });
 * inside(Date.parse('2026-03-02T09:00:00Z')); // true: Monday 10:00 in Paris
 */
export function weeklyWindow(source: WeeklyWindowSource): WeeklyWindow {
  const days = new Set(source.days);
  for (const day of days) {
    if (!(WEEKDAYS as readonly string[]).includes(day)) throw new TypeError(`"${day}" is not a weekday`);
  }
  const from = minutesOf(source.from);
  const to = minutesOf(source.to);
  if (!(from < to && to <= 24 * 60))
    throw new TypeError('the window must end after it starts, on the same day');
  // Throws a RangeError for a zone ICU does not know: the config check refused it already.
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: source.timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  return (time) => {
    let weekday = '';
    let hour = 0;
    let minute = 0;
    for (const part of format.formatToParts(time)) {
      if (part.type === 'weekday') weekday = part.value.toLowerCase();
      else if (part.type === 'hour') hour = Number(part.value);
      else if (part.type === 'minute') minute = Number(part.value);
    }
    const clock = hour * 60 + minute;
    return days.has(weekday) && clock >= from && clock < to;
  };
}
