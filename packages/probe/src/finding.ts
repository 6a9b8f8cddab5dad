/** How bad a finding is, in SARIF's and the order. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** True when `severity` is at least as bad as `threshold`. */
export function atLeast(severity: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(severity) <= SEVERITIES.indexOf(threshold);
}

/** What the probe sent and what came back, excerpted, every credential replaced by its variable. */
export interface Evidence {
  readonly request: string;
  readonly response: string;
}

/**
 * One thing the probe showed the target does wrong. `fingerprint` is stable across runs (rule,
 * method, route template and variant — never a token, id or time), so a baseline can hold it.
 */
export interface Finding {
  readonly ruleId: string;
  readonly severity: Severity;
  readonly cwe: number;
  readonly title: string;
  /** What happened in this case, in one or two sentences. */
  readonly message: string;
  readonly method: string;
  readonly url: string;
  /** The route of rampart.yaml this concerns (`GET /orders/{id}`), when one does. */
  readonly route?: string;
  readonly evidence: Evidence;
  /** A copy-paste `curl` command; credentials are `$TOKEN_A`-style variables, never inlined. */
  readonly reproduction: string;
  readonly fingerprint: string;
}

/** A check the probe did not run, and why (no credential for it, a write without --allow-writes…). */
export interface Skipped {
  readonly check: string;
  readonly reason: string;
}
