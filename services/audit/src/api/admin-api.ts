import { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isRampartError, PROBLEM_CONTENT_TYPE, RampartError } from '@rampart/errors';
import { componentSpiffeId, peerSpiffeId } from '@rampart/mesh';
import type { Logger, Store } from '@rampart/sdk';
import type { AlertStore } from '../detection/alert-store.ts';
import type { TrailVerification } from '../query/index.ts';
import { AdminDenial, type AdminAuthenticator, type AdminCaller } from './admin-auth.ts';
import type { EventFeed } from './event-feed.ts';
import type { OwnEvents } from './own-events.ts';
import { BadQuery, readQuery } from './query-params.ts';
import { eventsPage, exportEvents, streamEvents } from './event-operations.ts';
import { alertsPage, verifyAnswer } from './other-operations.ts';
import { NobodyFound, REIDENTIFY_PARAMS, ReidentifyLimited, type Reidentifier } from './reidentify.ts';
import type { Topology } from './topology.ts';

/** Where the API lives, on the audit service and (the same path) behind the gateway's mount. */
export const AUDIT_API_PREFIX = '/audit/v1';

export interface AdminApiOptions {
  readonly store: Store;
  readonly trustDomain: string;
  readonly authenticator: AdminAuthenticator;
  readonly own: OwnEvents;
  readonly feed: EventFeed;
  readonly alerts: AlertStore;
  readonly topology: () => Topology;
  readonly verify: () => Promise<TrailVerification>;
  /** Re-identification: who a pseudonym is, a user's events (`reidentify.ts`). */
  readonly reidentifier: Reidentifier;
  readonly log: Logger;
  /** Heartbeat of the live feed; default 15 s. */
  readonly heartbeatMs?: number;
}

/** Who asked, from where: what every `audit.read` and `audit.denied` event names. */
export interface ReadContext {
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  readonly admin: AdminCaller;
  readonly query: ReadonlyMap<string, string>;
  /** Records the read (`audit.read`) and resolves once it is in the ledger. */
  recordRead(reason: string): Promise<void>;
  /**
   * Records a re-identification (`audit.reidentified`: the admin, the pseudonym looked up, the
   * justification as its reason, the ticket) and resolves once it is in the ledger.
   */
  recordReidentified(lookup: {
    readonly target: string;
    readonly justification: string;
    readonly ticket: string | undefined;
  }): Promise<void>;
  /** Ends when the client goes away or the service closes. */
  readonly signal: AbortSignal;
}

interface Operation {
  /** Below the prefix; a `:name` segment is a path parameter (the route template writes `{name}`). */
  readonly path: string;
  readonly params: readonly string[];
  /** The `audit.read` reason; recorded before anything is read. Undefined: the operation records it. */
  readonly reason: string | undefined;
  run(context: ReadContext, options: AdminApiOptions): Promise<unknown>;
}

const FILTERS = [
  'from',
  'to',
  'event',
  'outcome',
  'subject',
  'clientId',
  'sourceIp',
  'route',
  'traceId',
  'requestId',
  'service',
] as const;

const operations: readonly Operation[] = [
  {
    path: '/events',
    params: [...FILTERS, 'limit', 'cursor', 'user', 'userId', ...REIDENTIFY_PARAMS],
    // Recorded by the operation: `audit.read`, or `audit.reidentified` for a user's events.
    reason: undefined,
    run: async (context, options) => {
      const { query } = context;
      if (query.has('user') || query.has('userId'))
        return options.reidentifier.eventsOf(context, options.store);
      for (const name of REIDENTIFY_PARAMS) {
        if (query.has(name)) throw new BadQuery(name, 'is given only with user or userId');
      }
      await context.recordRead('events_searched');
      return eventsPage(context, options.store);
    },
  },
  {
    path: '/subjects/:pseudonym',
    params: [...REIDENTIFY_PARAMS],
    reason: undefined,
    run: (context, options) =>
      options.reidentifier.reveal(context, (context.request.params as { pseudonym: string }).pseudonym),
  },
  {
    path: '/events/stream',
    params: [...FILTERS, 'after'],
    reason: undefined,
    run: (context, options) => streamEvents(context, options),
  },
  {
    path: '/export',
    params: [...FILTERS, 'format', 'limit', 'cursor'],
    reason: 'events_exported',
    run: (context, options) => exportEvents(context, options.store),
  },
  {
    path: '/verify',
    params: [],
    reason: 'trail_verified',
    run: async (_context, options) => verifyAnswer(await options.verify()),
  },
  {
    path: '/alerts',
    params: ['limit', 'cursor'],
    reason: 'alerts_listed',
    run: (context, options) => alertsPage(context, options.alerts),
  },
  {
    path: '/topology',
    params: [],
    reason: 'topology_read',
    run: (_context, options) => Promise.resolve(options.topology()),
  },
];

/**
 * The admin query API (`GET /audit/v1/…`), served to the gateway alone (its SPIFFE ID; the
 * gateway's `/audit` mount passes the admin's own `Authorization` and the client address in
 * `X-Forwarded-For`). Each request, in order: the peer must be the gateway; the token must be an
 * admin token now (identity decides, `admin-auth.ts`); the query must hold only the operation's
 * parameters, each once and well-formed (400 `AUDIT_BAD_QUERY` naming the field); the read is
 * recorded as `audit.read` (a re-identification as `audit.reidentified`, `reidentify.ts`) and
 * committed to the ledger; only then is anything read or answered. Every refusal
 * is an `audit.denied` event and an RFC 9457 problem (401/403 with a `WWW-Authenticate`
 * challenge); anything unexpected a generic 500 with the cause in the log.
 *
 * @returns `close()`, which ends the live feeds (before the server closes).
 */
export function registerAdminApi(app: FastifyInstance, options: AdminApiOptions): { close(): void } {
  const gatewayId = componentSpiffeId(options.trustDomain, 'gateway');
  const open = new Set<AbortController>();
  const handle = async (
    request: FastifyRequest,
    reply: FastifyReply,
    operation?: Operation,
  ): Promise<void> => {
    const route = `GET ${AUDIT_API_PREFIX}${(operation?.path ?? '/*').replace(/:([A-Za-z]+)/g, '{$1}')}`;
    const where = whereFrom(request, route);
    const controller = new AbortController();
    open.add(controller);
    reply.raw.once('close', () => {
      controller.abort();
      open.delete(controller);
    });
    let admin: AdminCaller | undefined;
    try {
      const socket = request.raw.socket;
      const peer =
        socket instanceof TLSSocket && socket.authorized ? peerSpiffeId(socket.getPeerCertificate()) : null;
      if (peer !== gatewayId) {
        throw Object.assign(
          new RampartError('AUDIT_CALLER_NOT_ALLOWED', { detail: `peer ${peer ?? 'none'}` }),
          {
            deny: 'caller_not_allowed',
            peer,
          },
        );
      }
      admin = await options.authenticator.authenticate(request.raw.rawHeaders);
      if (operation === undefined) throw new RampartError('AUDIT_NOT_FOUND');
      const query = readQuery(request.raw.url ?? '', operation.params);
      const caller = admin;
      const recordRead = async (reason: string): Promise<void> => {
        try {
          await options.own.record({
            event: 'audit.read',
            outcome: 'success',
            reason,
            subject: caller.subject,
            clientId: caller.clientId,
            ...where,
          });
        } catch (error) {
          // No trace, no read.
          throw new RampartError('AUDIT_UNAVAILABLE', {
            detail: 'the read could not be recorded',
            cause: error,
          });
        }
      };
      const recordReidentified: ReadContext['recordReidentified'] = async (lookup) => {
        try {
          await options.own.record({
            event: 'audit.reidentified',
            outcome: 'success',
            reason: lookup.justification,
            subject: caller.subject,
            clientId: caller.clientId,
            target: lookup.target,
            ticket: lookup.ticket,
            ...where,
          });
        } catch (error) {
          // No trace, no answer: who was looked up is not shown.
          throw new RampartError('AUDIT_UNAVAILABLE', {
            detail: 'the re-identification could not be recorded',
            cause: error,
          });
        }
      };
      if (operation.reason !== undefined) await recordRead(operation.reason);
      const context: ReadContext = {
        request,
        reply,
        admin,
        query,
        recordRead,
        recordReidentified,
        signal: controller.signal,
      };
      const body = await operation.run(context, options);
      if (body !== undefined && !reply.sent)
        await reply.code(200).header('cache-control', 'no-store').send(body);
    } catch (error) {
      await refuse(options, request, reply, error, admin, where);
    }
  };
  for (const operation of operations) {
    app.route({
      method: 'GET',
      url: `${AUDIT_API_PREFIX}${operation.path}`,
      config: { rampart: { auth: 'public', contentTypes: [] } },
      handler: (request, reply) => handle(request, reply, operation),
    });
  }
  // Anything else under /audit: authenticated first, then 404, so the API cannot be mapped anonymously.
  app.route({
    method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    url: '/audit/*',
    config: { rampart: { auth: 'public', contentTypes: ['application/json'] } },
    handler: (request, reply) => handle(request, reply),
  });
  return {
    close() {
      for (const controller of open) controller.abort();
      open.clear();
    },
  };
}

/** What the request says of its client: the gateway's forwarded address, agent, ids and route. */
function whereFrom(
  request: FastifyRequest,
  route: string,
): { sourceIp?: string; userAgent?: string; requestId: string; traceId?: string; route: string } {
  const forwarded = request.headers['x-forwarded-for'];
  const ip = typeof forwarded === 'string' ? forwarded.split(',')[0]?.trim() : undefined;
  const agent = request.headers['user-agent'];
  const traceparent = request.headers['traceparent'];
  const traceId =
    typeof traceparent === 'string' ? /^[0-9a-f]{2}-([0-9a-f]{32})-/.exec(traceparent)?.[1] : undefined;
  return {
    ...(ip === undefined || ip === '' ? {} : { sourceIp: ip }),
    ...(typeof agent === 'string' ? { userAgent: cleanAgent(agent) } : {}),
    requestId: request.id,
    ...(traceId === undefined || /^0+$/.test(traceId) ? {} : { traceId }),
    route,
  };
}

/** Control characters out, at most 256 characters (the event schema's shape), as the SDK cleans it. */
function cleanAgent(agent: string): string {
  let clean = '';
  for (const character of agent) {
    const code = character.codePointAt(0) ?? 0;
    if (code > 0x1f && code !== 0x7f) clean += character;
    if (clean.length >= 256) break;
  }
  return clean.slice(0, 256);
}

/** The `audit.denied` reason of a refusal: identity's, the pre-check's, or the API's own. */
function denyReason(error: unknown): string {
  if (error instanceof AdminDenial) return error.deny;
  if (error instanceof BadQuery) return 'bad_query';
  const own: unknown = (error as { deny?: unknown }).deny;
  if (typeof own === 'string') return own;
  if (isRampartError(error) && error.code === 'AUDIT_NOT_FOUND') return 'not_found';
  if (isRampartError(error) && error.code === 'AUDIT_IDENTITY_UNAVAILABLE') return 'identity_unavailable';
  return 'refused';
}

/**
 * Records the refusal (`audit.denied`, with the subject identity verified when it is known) and
 * answers the problem. A stream already open ends instead.
 */
async function refuse(
  options: AdminApiOptions,
  request: FastifyRequest,
  reply: FastifyReply,
  error: unknown,
  admin: AdminCaller | undefined,
  where: ReturnType<typeof whereFrom>,
): Promise<void> {
  const exposed = isRampartError(error) && (error.code.startsWith('AUDIT_') || error.expose);
  const status = exposed ? error.status : 500;
  if (!exposed) request.log.error({ err: error }, 'audit api: request failed');
  else request.log.info({ code: error.code, detail: error.detail }, 'audit api: request refused');
  if (status < 500 || (exposed && error.code === 'AUDIT_IDENTITY_UNAVAILABLE')) {
    const deny = denyReason(error);
    const subject = error instanceof AdminDenial ? error.subject : admin?.subject;
    const peer = (error as { peer?: unknown }).peer;
    const target = error instanceof NobodyFound ? error.target : undefined;
    try {
      await options.own.record({
        event: 'audit.denied',
        outcome: 'failure',
        reason: deny,
        subject,
        clientId: admin?.clientId,
        ...(typeof peer === 'string' ? { peer } : {}),
        ...(target === undefined ? {} : { target }),
        ...where,
      });
    } catch (recordError) {
      options.log.error({ err: recordError }, 'audit api: a refusal could not be recorded');
    }
  }
  if (reply.sent || reply.raw.headersSent) {
    reply.raw.destroy();
    return;
  }
  const body = {
    type: `https://rampart.dev/errors#${exposed ? error.code : 'SDK_INTERNAL'}`,
    title: exposed ? error.title : 'Internal error',
    status,
    code: exposed ? error.code : 'SDK_INTERNAL',
    requestId: request.id,
    ...(error instanceof BadQuery ? { field: error.field } : {}),
  };
  if (error instanceof ReidentifyLimited) void reply.header('retry-after', String(error.retryAfterSeconds));
  if (error instanceof AdminDenial) void reply.header('www-authenticate', error.challenge);
  else if (status === 401 || status === 403)
    void reply.header('www-authenticate', 'Bearer realm="rampart-audit"');
  await reply.code(status).type(PROBLEM_CONTENT_TYPE).header('cache-control', 'no-store').send(body);
}
