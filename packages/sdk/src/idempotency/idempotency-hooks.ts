import { Buffer } from 'node:buffer';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RampartError } from '@rampart/errors';
import type { BlindIndex, FieldCipher } from '../crypto/index.ts';
import { IDEMPOTENCY_KEY_HEADER, parseIdempotencyKey } from './idempotency-key-header.ts';
import { IDEMPOTENCY_TABLE, type IdempotencyRecords } from './idempotency-records.ts';

/** The methods RFC 9110 does not make idempotent, for which the key is honoured. */
export const IDEMPOTENCY_METHODS: ReadonlySet<string> = new Set(['POST', 'PATCH']);

/** Response fields replayed with the stored body; the SDK's own (request id…) are set afresh. */
const REPLAYED_HEADERS = ['content-type', 'location'] as const;

export interface IdempotencyOptions {
  readonly records: IdempotencyRecords;
  /** Seals stored responses: they may hold whatever the route returns. */
  readonly fields: FieldCipher;
  /** Keys the record id and the payload fingerprint, so neither can be guessed from a value. */
  readonly index: BlindIndex;
}

/** A response as stored (sealed) and replayed. */
interface StoredResponse {
  readonly status: number;
  readonly headers: Readonly<Partial<Record<(typeof REPLAYED_HEADERS)[number], string>>>;
  /** The body, base64. */
  readonly body: string;
}

interface Held {
  readonly id: string;
  readonly claim: string;
}

/**
 * Honours `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header) on every token-guarded
 * POST and PATCH route, before its handler runs and after the token, the content type and the
 * schema were checked:
 *
 * - no key: the handler runs as usual, unless the route sets `requireIdempotencyKey` (then 400
 *   `SDK_IDEMPOTENCY_KEY_MISSING`); a malformed key is 400 `SDK_IDEMPOTENCY_KEY_INVALID`;
 * - first use: the handler runs and its answer is stored, sealed, for 24 hours — unless it is a
 *   5xx, after which the key is released so that a retry runs again;
 * - the same key and payload again: the stored status, body, `Content-Type` and `Location`,
 *   without running the handler; while the first is still running: 409
 *   `SDK_IDEMPOTENCY_KEY_IN_FLIGHT`; with another payload: 422 `SDK_IDEMPOTENCY_KEY_REUSED`.
 *
 * A key belongs to one principal (the token's subject and acting service) and one route (method
 * and template): nobody can replay another's answer, and one key on two routes is two keys. The
 * payload's fingerprint covers the method, the path with its query, and the parsed body.
 */
export function registerIdempotency(app: FastifyInstance, options: IdempotencyOptions): void {
  const { records, fields, index } = options;
  const held = new WeakMap<FastifyRequest, Held>();
  const sealContext = (id: string) => ({ table: IDEMPOTENCY_TABLE, column: 'response', row: id });

  app.addHook('preHandler', async (request, reply) => {
    const guard = request.routeOptions.config.rampart;
    const principal = request.principal;
    if (guard?.auth !== 'token' || principal === null || !IDEMPOTENCY_METHODS.has(request.method)) return;
    const key = parseIdempotencyKey(request.headers[IDEMPOTENCY_KEY_HEADER]);
    if (key === undefined) {
      if (guard.requireIdempotencyKey) throw new RampartError('SDK_IDEMPOTENCY_KEY_MISSING');
      return;
    }
    const scope = [principal.subject, principal.actor ?? null, request.method, request.routeOptions.url, key];
    const id = index.hmacIndex(JSON.stringify(scope), {
      table: IDEMPOTENCY_TABLE,
      column: 'id',
      normalize: 'exact',
    });
    const fingerprint = index.hmacIndex(
      JSON.stringify([request.method, request.url, bodyForm(request.body)]),
      {
        table: IDEMPOTENCY_TABLE,
        column: 'fingerprint',
        normalize: 'exact',
      },
    );
    const outcome = await records.claim(id, fingerprint);
    switch (outcome.kind) {
      case 'claimed':
        held.set(request, { id, claim: outcome.claim });
        return;
      case 'mismatch':
        throw new RampartError('SDK_IDEMPOTENCY_KEY_REUSED');
      case 'in-flight':
        throw new RampartError('SDK_IDEMPOTENCY_KEY_IN_FLIGHT');
      case 'replay': {
        const stored = JSON.parse(await fields.decrypt(outcome.response, sealContext(id))) as StoredResponse;
        request.log.info({ route: request.routeOptions.url }, 'idempotent request replayed');
        return replay(reply, stored);
      }
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const holding = held.get(request);
    if (holding === undefined) return payload;
    held.delete(request);
    const body = bodyBytes(payload);
    try {
      if (reply.statusCode >= 500 || body === undefined) {
        await records.release(holding.id, holding.claim);
        return payload;
      }
      const stored: StoredResponse = {
        status: reply.statusCode,
        headers: replayedHeaders(reply),
        body: body.toString('base64'),
      };
      const sealed = await fields.encrypt(JSON.stringify(stored), sealContext(holding.id));
      if (!(await records.complete(holding.id, holding.claim, sealed))) {
        request.log.warn('an idempotency key was taken over before its request finished');
      }
    } catch (error) {
      // The answer still goes out; the record stays `running` until its lease ends.
      request.log.error({ err: error }, 'could not record the idempotent response');
    }
    return payload;
  });
}

/** What the fingerprint covers of a parsed body: JSON as parsed (key order kept), bytes as bytes. */
function bodyForm(body: unknown): unknown {
  if (body === undefined || body === null) return null;
  if (Buffer.isBuffer(body)) return { bytes: body.toString('base64') };
  return { json: body };
}

/** The bytes of a serialized payload; undefined for a stream, which cannot be stored. */
function bodyBytes(payload: unknown): Buffer | undefined {
  if (payload === undefined || payload === null) return Buffer.alloc(0);
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  if (Buffer.isBuffer(payload)) return payload;
  return undefined;
}

function replayedHeaders(reply: FastifyReply): StoredResponse['headers'] {
  const headers: Partial<Record<(typeof REPLAYED_HEADERS)[number], string>> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = reply.getHeader(name);
    if (typeof value === 'string') headers[name] = value;
  }
  return headers;
}

/** Sends a stored response; the hook returns the reply so that Fastify skips the handler. */
function replay(reply: FastifyReply, stored: StoredResponse): FastifyReply {
  void reply.code(stored.status);
  for (const [name, value] of Object.entries(stored.headers)) void reply.header(name, value);
  return reply.send(Buffer.from(stored.body, 'base64'));
}
