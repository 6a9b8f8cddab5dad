/**
 * Security events worth a human's attention, shown in the terminal of `rampart up` as well as in
 * the components' 0600 log files: a refresh token reused or an authorization code replayed (a
 * token was stolen: its family is revoked), a brute-force lockout, and every change made through
 * the admin API — and the audit service's high and critical alerts. Refusals that scanners cause by the thousand (`request.denied`, `login.failed`,
 * `admin.denied`) stay in the logs and in `security_events_total`.
 */
const ATTENTION = new Set(['token.reuse_detected', 'login.locked_out', 'mfa.locked_out']);

export function needsAttention(event: string): boolean {
  return ATTENTION.has(event) || (event.startsWith('admin.') && event !== 'admin.denied');
}

/** One event as the terminal shows it: only fields that carry no secret and no personal data. */
export interface AttentionEvent {
  readonly time: string;
  readonly component: string;
  readonly event: string;
  /** The HMAC pseudonym (`ps_…`) of the subject, when there is one. */
  readonly subject?: string;
  readonly reason: string;
  /** For an alert: `[severity] title (count)`. */
  readonly detail?: string;
}

/** Alert severities shown in the terminal; medium and low stay in the audit log and the metrics. */
const ALERT_SEVERITIES: ReadonlySet<unknown> = new Set(['high', 'critical']);

/**
 * The attention-worthy security event a component's JSON log line carries (the SDK's `logSink`
 * writes it under `securityEvent`), or a high or critical alert of the audit service's detection
 * rules (under `alert`), or undefined. Only a pseudonymous subject is passed on — an alert's
 * other group values (an address) stay in the audit log.
 */
export function attentionEventOf(record: unknown, component: string): AttentionEvent | undefined {
  if (typeof record !== 'object' || record === null) return undefined;
  const alert: unknown = (record as { alert?: unknown }).alert;
  // Alerts come from the audit service alone: another component's line with an `alert` member is
  // no alert (a service may log what a client sent).
  if (component === 'audit' && typeof alert === 'object' && alert !== null)
    return alertOf(alert as Record<string, unknown>, component);
  const event: unknown = (record as { securityEvent?: unknown }).securityEvent;
  if (typeof event !== 'object' || event === null) return undefined;
  const { time, event: name, reason, subject } = event as Record<string, unknown>;
  if (typeof name !== 'string' || !needsAttention(name)) return undefined;
  return {
    time: typeof time === 'string' ? time : new Date().toISOString(),
    component,
    event: name,
    reason: typeof reason === 'string' ? reason : '',
    ...(typeof subject === 'string' && subject.startsWith('ps_') ? { subject } : {}),
  };
}

function alertOf(alert: Record<string, unknown>, component: string): AttentionEvent | undefined {
  const { time, rule, severity, title, count, group } = alert;
  if (typeof rule !== 'string' || typeof severity !== 'string' || !ALERT_SEVERITIES.has(severity)) {
    return undefined;
  }
  const subject: unknown =
    typeof group === 'object' && group !== null ? (group as { subject?: unknown }).subject : undefined;
  return {
    time: typeof time === 'string' ? time : new Date().toISOString(),
    component,
    event: `alert ${rule}`,
    reason: '',
    ...(typeof subject === 'string' && subject.startsWith('ps_') ? { subject } : {}),
    detail: `[${severity}] ${typeof title === 'string' ? title : rule}${typeof count === 'number' ? ` (${count})` : ''}`,
  };
}

export interface AttentionLimits {
  /** Lines shown per event name in one window; the rest are counted. */
  readonly perWindow: number;
  readonly windowMs: number;
}

/** At most 5 lines of one event in 10 s: an attack cannot flood the terminal. */
export const ATTENTION_LIMITS: AttentionLimits = { perWindow: 5, windowMs: 10_000 };

/**
 * Writes attention events to the terminal, at most `perWindow` of one event name per window; when
 * a window in which some were held back closes, one line says how many (`… and 37 more
 * token.reuse_detected in 10 s; see the logs`).
 */
export class AttentionPrinter {
  readonly #write: (line: string) => void;
  readonly #limits: AttentionLimits;
  readonly #windows = new Map<string, { shown: number; held: number; timer: NodeJS.Timeout }>();

  constructor(write: (line: string) => void, limits: AttentionLimits = ATTENTION_LIMITS) {
    this.#write = write;
    this.#limits = limits;
  }

  print(event: AttentionEvent): void {
    let window = this.#windows.get(event.event);
    if (window === undefined) {
      const timer = setTimeout(() => {
        this.#close(event.event);
      }, this.#limits.windowMs);
      timer.unref();
      window = { shown: 0, held: 0, timer };
      this.#windows.set(event.event, window);
    }
    if (window.shown < this.#limits.perWindow) {
      window.shown += 1;
      this.#write(formatAttention(event));
    } else {
      window.held += 1;
    }
  }

  /** Says what was held back (Ctrl-C must not swallow it) and stops the timers. */
  close(): void {
    for (const name of [...this.#windows.keys()]) this.#close(name);
  }

  #close(name: string): void {
    const window = this.#windows.get(name);
    if (window === undefined) return;
    clearTimeout(window.timer);
    this.#windows.delete(name);
    if (window.held > 0) {
      this.#write(
        `  ⚠ … and ${window.held} more ${name} in ${this.#limits.windowMs / 1000} s; every one is in the logs\n`,
      );
    }
  }
}

/** `  ⚠ 09:41:03 identity     token.reuse_detected  subject ps_… reason refresh_token_reused` */
export function formatAttention(event: AttentionEvent): string {
  const time = /T(\d\d:\d\d:\d\d)/.exec(event.time)?.[1]?.concat('Z') ?? event.time;
  const subject = event.subject === undefined ? '' : ` subject ${event.subject}`;
  const reason = event.reason === '' ? '' : ` reason ${event.reason}`;
  const detail = event.detail === undefined ? '' : ` ${event.detail}`;
  return `  ⚠ ${time} ${event.component.padEnd(12)} ${event.event}${subject}${reason}${detail}\n`;
}
