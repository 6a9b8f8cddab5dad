import { Type, type Static } from '@sinclair/typebox';

/**
 * A security event as a component's shipper sends it (`@rampart/sdk`'s `SecurityEvent`), checked
 * again here: the sender is authenticated, but a compromised component must not be able to write
 * prose, tokens or unbounded text into the audit trail. The shapes are the SDK's, field by field.
 */
export const IncomingEvent = Type.Object(
  {
    id: Type.String({ format: 'uuid', maxLength: 36 }),
    time: Type.String({ format: 'date-time', maxLength: 40 }),
    event: Type.String({ pattern: '^[a-z][a-z0-9_]*(?:\\.[a-z][a-z0-9_]*)+$', maxLength: 64 }),
    service: Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$' }),
    outcome: Type.Union([Type.Literal('success'), Type.Literal('failure'), Type.Literal('unknown')]),
    reason: Type.String({ pattern: '^(?:[A-Z]+(?:_[A-Z0-9]+)*|[a-z]+(?:_[a-z]+)*)$', maxLength: 64 }),
    peer: Type.Optional(
      Type.String({
        pattern: '^(?:spiffe://[a-z0-9.-]+(?:/[A-Za-z0-9._-]+)+|[a-z][a-z0-9-]{0,62})$',
        maxLength: 256,
      }),
    ),
    subject: Type.Optional(Type.String({ pattern: '^ps_[A-Za-z0-9_-]{22}$' })),
    requestId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._:-]{1,128}$' })),
    traceId: Type.Optional(Type.String({ pattern: '^[0-9a-f]{32}$' })),
    clientId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._:-]{1,128}$' })),
    route: Type.Optional(Type.String({ pattern: '^[A-Z]+ /[\\x21-\\x7e]*$', maxLength: 256 })),
    sourceIp: Type.Optional(Type.Union([Type.String({ format: 'ipv4' }), Type.String({ format: 'ipv6' })])),
    userAgent: Type.Optional(Type.String({ pattern: '^[^\\x00-\\x1f\\x7f]*$', maxLength: 256 })),
  },
  { additionalProperties: false },
);
export type IncomingEvent = Static<typeof IncomingEvent>;

/** Most events in one request; the shipper sends at most 500. */
export const MAX_BATCH_EVENTS = 1000;
/** Largest request body: 1 MiB. */
export const MAX_BATCH_BYTES = 1024 * 1024;

/** The body of `POST /v1/events`. */
export const EventBatch = Type.Object(
  { events: Type.Array(IncomingEvent, { minItems: 1, maxItems: MAX_BATCH_EVENTS }) },
  { additionalProperties: false },
);
export type EventBatch = Static<typeof EventBatch>;

/**
 * What the audit trail stores: the event as sent, with who sent it. Nothing that differs between
 * two deliveries of one event (a receive time), so a redelivery is recognised as the same event.
 */
export interface StoredEvent extends IncomingEvent {
  /** The sender's SPIFFE ID, from its client certificate. */
  readonly source: string;
}
