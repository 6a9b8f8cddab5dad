import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { TSchema } from '@sinclair/typebox';
import { componentSpiffeId } from '@rampart/mesh';
import { IncomingEvent, type StoredEvent } from '../ingest/event-schema.ts';
import type { Ledger } from '../ledger/index.ts';

/**
 * What the audit service records about itself: reads, re-identifications and refusals of its API,
 * events it refused.
 */
export type OwnEventName = 'audit.read' | 'audit.reidentified' | 'audit.denied' | 'audit.event_refused';

/** `target` is a pseudonym; `ticket` a case reference (`reidentify.ts`'s `TICKET`). */
const TARGET = /^ps_[A-Za-z0-9_-]{22}$/;
const TICKET = /^[A-Za-z][A-Za-z0-9]{0,15}[-#:]?[0-9]{1,12}$/;

export interface OwnEventInput {
  readonly event: OwnEventName;
  readonly outcome: 'success' | 'failure';
  /** A code: what was read (`events_searched`), or why it was refused (`not_admin`). */
  readonly reason: string;
  readonly subject?: string | undefined;
  readonly clientId?: string | undefined;
  readonly sourceIp?: string | undefined;
  readonly userAgent?: string | undefined;
  readonly requestId?: string | undefined;
  readonly traceId?: string | undefined;
  readonly route?: string | undefined;
  readonly peer?: string | undefined;
  /** `audit.reidentified` and its refusals: the pseudonym looked up (never a user id or name). */
  readonly target?: string | undefined;
  /** `audit.reidentified`: the case reference the admin gave. */
  readonly ticket?: string | undefined;
}

export interface OwnEvents {
  /**
   * Appends the event to the ledger and resolves once it is committed, with its seq: a read is
   * answered only after its trace is stored. Fields that do not have the event schema's shape are
   * left out (a user agent with control characters, an address that is no IP), never the event.
   */
  record(input: OwnEventInput): Promise<number>;
}

/**
 * The audit service's own security events, written straight into its ledger (there is no outbox to
 * ship them through: the ledger is here), as `service: audit` from `spiffe://<td>/rampart/audit`,
 * then told to `onAppended` like an ingested batch (detection, the live feed).
 *
 * @example
 * const own = createOwnEvents({ ledger, trustDomain, onAppended });
 * await own.record({ event: 'audit.read', outcome: 'success', reason: 'events_searched', subject });
 */
export function createOwnEvents(options: {
  readonly ledger: Ledger;
  readonly trustDomain: string;
  readonly onAppended: (appended: readonly { seq: number; event: StoredEvent }[]) => void;
  readonly now?: () => Date;
}): OwnEvents {
  const source = componentSpiffeId(options.trustDomain, 'audit');
  const now = options.now ?? (() => new Date());
  return {
    async record(input) {
      const event: Record<string, unknown> = {
        id: randomUUID(),
        time: now().toISOString(),
        event: input.event,
        service: 'audit',
        outcome: input.outcome,
        reason: input.reason,
      };
      for (const field of [
        'peer',
        'subject',
        'requestId',
        'traceId',
        'clientId',
        'route',
        'sourceIp',
        'userAgent',
      ] as const) {
        const value = input[field];
        if (value !== undefined && fits(field, value)) event[field] = value;
      }
      // Fields only the audit service's own events have (ingest accepts neither from a component).
      if (input.target !== undefined && TARGET.test(input.target)) event['target'] = input.target;
      if (input.ticket !== undefined && TICKET.test(input.ticket)) event['ticket'] = input.ticket;
      if (!fits('event', input.event) || !fits('reason', input.reason)) {
        throw new TypeError(`audit event ${input.event} has a bad shape`);
      }
      const stored: StoredEvent = { ...event, source } as StoredEvent;
      const result = await options.ledger.append(stored.id, { ...stored });
      if (result.status === 'appended') options.onAppended([{ seq: result.seq, event: stored }]);
      return result.seq;
    },
  };
}

/** Whether `value` has the shape the ingest schema gives `field` (its pattern and length). */
function fits(field: keyof typeof IncomingEvent.properties, value: string): boolean {
  if (field === 'sourceIp') return isIP(value) !== 0;
  const schema: TSchema = IncomingEvent.properties[field];
  const pattern: unknown = schema['pattern'];
  const maxLength: unknown = schema['maxLength'];
  if (typeof maxLength === 'number' && value.length > maxLength) return false;
  return typeof pattern !== 'string' || new RegExp(pattern, 'u').test(value);
}
