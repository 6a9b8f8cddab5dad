import type { ApiClient } from './http.ts';

/** One stored security event (the audit service's admin API, `GET /audit/v1/events`). */
export interface AuditEvent {
  readonly seq: number;
  readonly id?: string;
  readonly time: string;
  readonly event: string;
  readonly outcome: string;
  readonly reason?: string;
  readonly service?: string;
  readonly subject?: string;
  readonly clientId?: string;
  readonly sourceIp?: string;
  readonly route?: string;
  readonly traceId?: string;
  readonly requestId?: string;
  /** `audit.reidentified` (and its refusals): the pseudonym an admin looked up. */
  readonly target?: string;
  /** `audit.reidentified`: the case reference the admin gave. */
  readonly ticket?: string;
}

/** A user behind a pseudonym, as re-identification answers it (shown, never stored). */
export interface RevealedUser {
  readonly id: string;
  readonly username: string;
  readonly subject: string;
}

export interface EventPage {
  readonly events: readonly AuditEvent[];
  readonly next: string | null;
  /** Present when the search was by user (`user`): who they are. */
  readonly user?: RevealedUser;
}

/**
 * Why an admin re-identifies someone: the audit API's closed list (`reason`), with its label.
 * Recorded with the admin's pseudonym in the trail (`audit.reidentified`).
 */
export const JUSTIFICATIONS = [
  ['incident_response', 'Incident response'],
  ['abuse_report', 'Abuse report'],
  ['fraud_investigation', 'Fraud investigation'],
  ['legal_request', 'Legal request'],
  ['data_subject_request', 'Request of the person themselves'],
  ['support_case', 'Support case'],
] as const;

/** A case reference as the audit API takes it (`ticket`): `INC-1234`, `SEC#42`. */
export const TICKET_PATTERN = '[A-Za-z][A-Za-z0-9]{0,15}[\\-#:]?[0-9]{1,12}';

export interface Justification {
  readonly reason: string;
  readonly ticket?: string;
}

export interface Verification {
  readonly ok: boolean;
  readonly events: number;
  readonly checkpoints: number;
  readonly problem?: string;
}

export interface Alert {
  readonly id: string;
  readonly rule: string;
  readonly severity: string;
  readonly title: string;
  readonly time: string;
  readonly group: string;
  readonly count: number;
  readonly evidence: readonly { readonly seq: number; readonly id: string }[];
}

export interface Topology {
  readonly services: readonly {
    readonly name: string;
    readonly callers: readonly string[];
    readonly routes: readonly {
      readonly method: string;
      readonly path: string;
      readonly policy: unknown;
      readonly rateLimit: unknown;
    }[];
  }[];
  readonly policies: unknown;
}

/** The filters of an event search; each maps to a query parameter of the same name. */
export interface EventQuery {
  readonly from?: string;
  readonly to?: string;
  readonly event?: string;
  readonly outcome?: string;
  readonly subject?: string;
  readonly clientId?: string;
  readonly sourceIp?: string;
  readonly route?: string;
  readonly traceId?: string;
  readonly requestId?: string;
  readonly service?: string;
  /** A username: the search re-identifies (it needs `reason`, and is recorded as such). */
  readonly user?: string;
  readonly reason?: string;
  readonly ticket?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

/** The audit service's admin API through the gateway (`/audit/v1/…`), with the same admin token. */
export function auditApi(api: ApiClient, base: string) {
  return {
    events(query: EventQuery = {}) {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(query)) {
        if (value !== undefined && value !== '') params.set(key, String(value));
      }
      const search = params.toString();
      return api.get<EventPage>(`${base}/v1/events${search === '' ? '' : `?${search}`}`);
    },
    /** Who a pseudonym is: re-identification, recorded in the trail with the justification. */
    reveal(subject: string, justification: Justification) {
      const params = new URLSearchParams({ reason: justification.reason });
      if (justification.ticket !== undefined && justification.ticket !== '') {
        params.set('ticket', justification.ticket);
      }
      return api.get<{ subject: string; user: RevealedUser }>(
        `${base}/v1/subjects/${encodeURIComponent(subject)}?${params.toString()}`,
      );
    },
    verify: () => api.get<Verification>(`${base}/v1/verify`),
    alerts: () => api.get<{ alerts: readonly Alert[]; next: string | null }>(`${base}/v1/alerts`),
    topology: () => api.get<Topology>(`${base}/v1/topology`),
    streamUrl: (after: number | undefined) =>
      `${base}/v1/events/stream${after === undefined ? '' : `?after=${after}`}`,
  };
}

export type AuditApi = ReturnType<typeof auditApi>;
