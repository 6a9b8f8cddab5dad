import { createHmac, createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import { chmodSync, closeSync, constants, openSync, writeSync } from 'node:fs';
import type { Secret } from '@rampart/config';
import {
  CLIENT_ID,
  cleanUserAgent,
  EVENT,
  isIpLiteral,
  MAX_EVENT_LENGTH,
  MAX_PEER_LENGTH,
  MAX_REASON_LENGTH,
  MAX_ROUTE_LENGTH,
  MAX_SUBJECT_LENGTH,
  PEER,
  REASON,
  REQUEST_ID,
  ROUTE,
  TRACE_ID,
} from './event-fields.ts';
import type { Metrics } from './metrics.ts';
import { currentTraceIds } from './trace-scope.ts';

/** Whether the action the event records succeeded (ECS `event.outcome`). */
export type SecurityOutcome = 'success' | 'failure' | 'unknown';

/** One security event, as written to a sink. Closed set of fields: nothing else is ever recorded. */
export interface SecurityEvent {
  /** A random UUID (version 4) given at emit: redelivery of one event carries the same id. */
  readonly id: string;
  /** ISO 8601, UTC. */
  readonly time: string;
  /** `<entity>.<past_verb>`: `peer.rejected`, `token.rejected`, `login.failed`. */
  readonly event: string;
  readonly service: string;
  readonly outcome: SecurityOutcome;
  /** A code, not prose: `SDK_CALLER_NOT_ALLOWED`, `expired`, `wrong_audience`. */
  readonly reason: string;
  /** The calling workload: a SPIFFE ID or a service name. */
  readonly peer?: string;
  /** `ps_…`: an HMAC pseudonym of the end user's subject, never the subject itself. */
  readonly subject?: string;
  readonly requestId?: string;
  /** The W3C trace id (32 lower-case hex), to correlate with traces. */
  readonly traceId?: string;
  /** The OAuth client the request came through (`identity.clients[].id`). */
  readonly clientId?: string;
  /** The route template, `GET /orders/{id}` — never the concrete path. */
  readonly route?: string;
  /** The client's IP address (IPv4 or IPv6 literal). */
  readonly sourceIp?: string;
  /** The client's `User-Agent`, without control characters, at most 256 characters. */
  readonly userAgent?: string;
}

/** What a caller passes to `emit`: the event without `id`, `time` and `service`, and the raw subject. */
export interface SecurityEventInput {
  readonly event: string;
  readonly outcome: SecurityOutcome;
  readonly reason: string;
  readonly peer?: string;
  /** The raw subject (`sub`); it is replaced by its pseudonym before anything is written. */
  readonly subject?: string;
  readonly requestId?: string;
  readonly traceId?: string;
  readonly clientId?: string;
  /** A route template as rampart.yaml writes it: `GET /orders/{id}`. */
  readonly route?: string;
  readonly sourceIp?: string;
  /** Attacker-controlled: cleaned and truncated, never refused. */
  readonly userAgent?: string;
}

export interface SecurityEventSink {
  write(event: SecurityEvent): void;
  close?(): void;
}

export interface SecurityEvents {
  /** Validates, pseudonymizes, writes and counts one event; returns what was written. */
  emit(input: SecurityEventInput): SecurityEvent;
  close(): void;
}

export interface SecurityEventsOptions {
  readonly serviceName: string;
  readonly sink: SecurityEventSink;
  /**
   * The deployment-wide key subjects are pseudonymized with (at least 32 bytes). Every service of
   * a deployment uses the same key, so audit can correlate one user's events across services.
   */
  readonly subjectKey: Uint8Array | Secret;
  /** Increments `security_events_total{event}` when given. */
  readonly metrics?: Metrics;
  /** Clock, for tests. */
  readonly now?: () => Date;
}

const OUTCOMES: ReadonlySet<string> = new Set<SecurityOutcome>(['success', 'failure', 'unknown']);

/**
 * Creates a service's security-event emitter. Events have a closed set of fields, each checked
 * against a strict shape (a wrong one is a programmer error, a `TypeError`, and nothing is
 * written): names are `<entity>.<past_verb>`, reasons are codes, peers are workload identities.
 * The end user's subject is never written: it becomes `ps_` + HMAC-SHA-256(subjectKey, subject),
 * truncated to 128 bits — stable across services for correlation, meaningless without the key.
 * Raw subjects can be e-mail addresses or usernames depending on the identity provider, so the
 * SDK does not rely on them being pseudonymous already.
 *
 * @example
 * const events = createSecurityEvents({ serviceName: 'orders', sink: fileSink(path), subjectKey, metrics });
 * events.emit({ event: 'peer.rejected', outcome: 'failure', reason: 'SDK_CALLER_NOT_ALLOWED', peer });
 */
export function createSecurityEvents(options: SecurityEventsOptions): SecurityEvents {
  const { serviceName, sink, metrics } = options;
  if (!PEER.test(serviceName) || serviceName.startsWith('spiffe:')) {
    throw new TypeError('serviceName must be a service name from rampart.yaml');
  }
  const key =
    options.subjectKey instanceof Uint8Array
      ? Buffer.from(options.subjectKey)
      : Buffer.from(options.subjectKey.reveal(), 'utf8');
  if (key.length < 32) throw new TypeError('subjectKey must be at least 32 bytes');
  // A KeyObject is imported once: HMAC with a raw key pays the import on every event (~4x slower).
  const hmacKey = createSecretKey(key);
  const now = options.now ?? (() => new Date());

  return {
    emit(input) {
      const event = securityEvent(input, serviceName, hmacKey, now);
      sink.write(event);
      metrics?.securityEvents.inc({ event: event.event });
      return event;
    },
    close() {
      sink.close?.();
    },
  };
}

/** `ps_` + the first 128 bits of HMAC-SHA-256(key, subject), base64url. */
export function pseudonym(key: Uint8Array | KeyObject, subject: string): string {
  return `ps_${createHmac('sha256', key).update(subject, 'utf8').digest().subarray(0, 16).toString('base64url')}`;
}

/** The event `input` describes, or a `TypeError` naming the first field of a wrong shape. */
function securityEvent(
  input: SecurityEventInput,
  service: string,
  key: KeyObject,
  now: () => Date,
): SecurityEvent {
  check(
    matches(EVENT, input.event, MAX_EVENT_LENGTH),
    'event must be <entity>.<past_verb>, e.g. peer.rejected',
  );
  check(
    typeof input.outcome === 'string' && OUTCOMES.has(input.outcome),
    'outcome must be success, failure or unknown',
  );
  check(
    matches(REASON, input.reason, MAX_REASON_LENGTH),
    'reason must be a code (SDK_CALLER_NOT_ALLOWED, expired), not prose',
  );
  const { peer, subject, requestId, clientId, route, sourceIp, userAgent } = input;
  // Where the caller gave none, the trace scope's (identity's requests run in one).
  const traceId = input.traceId ?? currentTraceIds()?.traceId;
  if (peer !== undefined)
    check(matches(PEER, peer, MAX_PEER_LENGTH), 'peer must be a SPIFFE ID or a service name');
  if (requestId !== undefined) check(matches(REQUEST_ID, requestId), 'requestId has an unexpected shape');
  if (traceId !== undefined) check(matches(TRACE_ID, traceId), 'traceId must be 32 lower-case hex digits');
  if (subject !== undefined)
    check(
      typeof subject === 'string' && subject.length > 0 && subject.length <= MAX_SUBJECT_LENGTH,
      'subject must be 1 to 1024 characters',
    );
  if (clientId !== undefined)
    check(matches(CLIENT_ID, clientId), 'clientId must be a client id from identity.clients');
  if (route !== undefined)
    check(
      matches(ROUTE, route, MAX_ROUTE_LENGTH),
      'route must be a method and a path template, e.g. GET /orders/{id}',
    );
  if (sourceIp !== undefined)
    check(typeof sourceIp === 'string' && isIpLiteral(sourceIp), 'sourceIp must be an IP address');
  if (userAgent !== undefined) check(typeof userAgent === 'string', 'userAgent must be a string');
  const agent = userAgent === undefined ? '' : cleanUserAgent(userAgent);
  return {
    id: randomUUID(),
    time: now().toISOString(),
    event: input.event,
    service,
    outcome: input.outcome,
    reason: input.reason,
    ...(peer === undefined ? {} : { peer }),
    ...(subject === undefined ? {} : { subject: pseudonym(key, subject) }),
    ...(requestId === undefined ? {} : { requestId }),
    ...(traceId === undefined ? {} : { traceId }),
    ...(clientId === undefined ? {} : { clientId }),
    ...(route === undefined ? {} : { route }),
    ...(sourceIp === undefined ? {} : { sourceIp }),
    ...(agent === '' ? {} : { userAgent: agent }),
  };
}

/** A string (not anything `RegExp.test` would coerce to one) of the shape, within the bound. */
function matches(shape: RegExp, value: unknown, maxLength = Infinity): boolean {
  return typeof value === 'string' && value.length <= maxLength && shape.test(value);
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new TypeError(`security event: ${message}`);
}

/**
 * A sink appending one JSON object per line to `path`, created with mode 0600 (and reset to 0600
 * if it existed), refusing to follow a symbolic link. Each event is one `write` on an `O_APPEND`
 * descriptor, so processes sharing the file never interleave lines, and nothing waits in a buffer.
 *
 * @example
 * const sink = fileSink(join(stateDir, 'security-events.jsonl'));
 */
export function fileSink(path: string): SecurityEventSink {
  const fd = openSync(
    path,
    constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW,
    0o600,
  );
  chmodSync(path, 0o600); // by path: the permission model disables fchmod
  let open = true;
  return {
    write(event) {
      if (!open) throw new Error('the security event file is closed');
      writeSync(fd, `${JSON.stringify(event)}\n`);
    },
    close() {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}

/** The part of a pino logger `logSink` uses. */
export interface EventLogger {
  info(object: object, message: string): void;
}

/**
 * A sink writing each event to a logger at `info`, under `securityEvent`, with the event name as
 * the message — for log aggregation to pick up.
 *
 * @example
 * const sink = logSink(service.log);
 */
export function logSink(logger: EventLogger): SecurityEventSink {
  return {
    write(event) {
      logger.info({ securityEvent: event }, event.event);
    },
  };
}
