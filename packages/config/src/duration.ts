const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * Milliseconds in a duration written as in rampart.yaml: `500ms`, `30s`, `15m`, `12h`, `14d`.
 * Configuration is validated before use, so anything else is a programming error.
 *
 * @example
 * parseDuration('15m'); // 900000
 */
export function parseDuration(d: string): number {
  const match = /^([1-9][0-9]*)(ms|s|m|h|d)$/.exec(d);
  const amount = match?.[1];
  const unit = match?.[2] as keyof typeof UNIT_MS | undefined;
  const ms = amount === undefined || unit === undefined ? NaN : Number(amount) * UNIT_MS[unit];
  if (!Number.isSafeInteger(ms)) {
    throw new TypeError(
      `invalid duration ${JSON.stringify(d)}: write a positive whole number and a unit, such as 500ms, 30s, 15m, 12h or 14d`,
    );
  }
  return ms;
}
