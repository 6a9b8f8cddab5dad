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
}

export interface EventPage {
  readonly events: readonly AuditEvent[];
  readonly next: string | null;
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
    verify: () => api.get<Verification>(`${base}/v1/verify`),
    alerts: () => api.get<{ alerts: readonly Alert[]; next: string | null }>(`${base}/v1/alerts`),
    topology: () => api.get<Topology>(`${base}/v1/topology`),
    streamUrl: (after: number | undefined) =>
      `${base}/v1/events/stream${after === undefined ? '' : `?after=${after}`}`,
  };
}

export type AuditApi = ReturnType<typeof auditApi>;
