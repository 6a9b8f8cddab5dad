import type { Finding } from '../problem.ts';
import type { RampartConfig } from '../schema.ts';

/** Whether `zone` is an IANA time zone this runtime knows (its ICU data). */
export function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * CFG_INVALID_VALUE: `audit.adminWindow` names a time zone the runtime knows and starts before it
 * ends (a window over midnight is two days' windows: write the days it covers).
 */
export function checkAuditSettings(config: RampartConfig): Finding[] {
  const window = config.audit?.adminWindow;
  if (window === undefined) return [];
  const findings: Finding[] = [];
  if (!isKnownTimeZone(window.timeZone)) {
    findings.push({
      code: 'CFG_INVALID_VALUE',
      path: ['audit', 'adminWindow', 'timeZone'],
      anchor: 'value',
      message: '`audit.adminWindow.timeZone` is not a known IANA time zone',
      fix: 'write a zone such as Europe/Paris, America/New_York or UTC',
    });
  }
  if (window.from >= window.to) {
    findings.push({
      code: 'CFG_INVALID_VALUE',
      path: ['audit', 'adminWindow', 'to'],
      anchor: 'value',
      message: '`audit.adminWindow.to` must be later than `from` on the same day',
      fix: "e.g. from: '08:00', to: '18:00'",
    });
  }
  return findings;
}
