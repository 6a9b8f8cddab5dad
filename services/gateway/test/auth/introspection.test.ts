import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { TLSSocket } from 'node:tls';
import { after, before, beforeEach, describe, it } from 'node:test';
import { isRampartError } from '@rampart/errors';
import {
  componentSpiffeId,
  createWorkloadCsr,
  peerSpiffeId,
  serviceSpiffeId,
  type WorkloadCredentials,
} from '@rampart/mesh';
import {
  createIntrospectionClient,
  isOpaqueToken,
  type IntrospectionClient,
  type IntrospectionClientOptions,
} from '../../src/auth/index.ts';
import { openMesh, TRUST_DOMAIN, type Mesh } from '../forward/mesh-fixture.ts';

const ISSUER = 'https://127.0.0.1:8443/auth';
const AUDIENCE = 'https://127.0.0.1:8443';

/** What the stand-in for identity received: the peer's SPIFFE ID and the form it was sent. */
interface Received {
  readonly peer: string | null;
  /** The serial of the client certificate, normalized (lower-case hex, no leading zeros). */
  readonly serial: string;
  readonly method: string;
  readonly url: string;
  readonly contentType: string | undefined;
  readonly token: string | null;
}

/** An answer: a status and a JSON body, possibly after a delay; `hang` never answers. */
type Reply = { status: number; body: unknown; delayMs?: number } | 'hang';

interface FakeIntrospection {
  readonly url: string;
  readonly received: Received[];
  reply: (token: string | null) => Reply;
  close(): Promise<void>;
}

/** Stands in for identity's `/internal/introspect`: mTLS, presenting `spiffeId`. */
async function startFakeIntrospection(mesh: Mesh, spiffeId: string): Promise<FakeIntrospection> {
  const { keyPem, csrPem } = await createWorkloadCsr(spiffeId);
  const issued = await mesh.ca.issue({ csrPem, spiffeId, ipSans: ['127.0.0.1'] });
  const state: Pick<FakeIntrospection, 'received' | 'reply'> = {
    received: [],
    reply: () => ({ status: 200, body: { active: false } }),
  };
  const server: Server = createServer(
    {
      key: keyPem,
      cert: issued.certPem,
      ca: [...mesh.bundle],
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
    },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const token = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('token');
        const socket = req.socket;
        if (!(socket instanceof TLSSocket)) throw new TypeError('an mTLS server has TLS sockets');
        state.received.push({
          peer: peerSpiffeId(socket.getPeerCertificate()),
          serial: normalSerial(socket.getPeerCertificate().serialNumber),
          method: req.method ?? '',
          url: req.url ?? '',
          contentType: req.headers['content-type'],
          token,
        });
        const reply = state.reply(token);
        if (reply === 'hang') return;
        setTimeout(() => {
          const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
          res.writeHead(reply.status, { 'content-type': 'application/json' }).end(text);
        }, reply.delayMs ?? 0);
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(state, {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/internal/introspect`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  });
}

const normalSerial = (serial: string): string => serial.toLowerCase().replace(/^0+/u, '');
const opaque = (): string => randomBytes(32).toString('base64url');
const seconds = (ms: number): number => Math.floor(ms / 1000);

/** An active answer as identity gives it, for a token issued now and living ten minutes. */
function active(nowMs: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    active: true,
    iss: ISSUER,
    sub: 'user-1',
    client_id: 'shop-web',
    aud: AUDIENCE,
    scope: 'orders:read orders:write',
    exp: seconds(nowMs) + 600,
    iat: seconds(nowMs),
    token_type: 'Bearer',
    groups: ['buyers'],
    amr: ['pwd', 'otp'],
    acr: 'urn:rampart:acr:mfa',
    auth_time: seconds(nowMs) - 5,
    gid: 'grant-1',
    ...extra,
  };
}

/** Asserts `promise` rejects with the Rampart `code`, and returns the error. */
async function refusedWith(promise: Promise<unknown>, code: string): Promise<Error> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return isRampartError(error) && error.code === code;
  });
  return caught as Error;
}

describe('opaque-token introspection (gateway → identity)', () => {
  let mesh: Mesh;
  let credentials: WorkloadCredentials & { readonly serial: string };
  let identity: FakeIntrospection;
  let clock = Date.now();
  const clients: IntrospectionClient[] = [];

  before(async () => {
    mesh = await openMesh();
    credentials = await mesh.gatewayCredentials();
    identity = await startFakeIntrospection(mesh, componentSpiffeId(TRUST_DOMAIN, 'identity'));
  });
  beforeEach(() => {
    identity.received.length = 0;
    clock = Date.now();
    identity.reply = () => ({ status: 200, body: active(clock) });
  });
  after(async () => {
    for (const client of clients) await client.close();
    await identity.close();
    await mesh.cleanup();
  });

  function client(options: Partial<IntrospectionClientOptions> = {}): IntrospectionClient {
    const created = createIntrospectionClient({
      url: identity.url,
      identitySpiffeId: componentSpiffeId(TRUST_DOMAIN, 'identity'),
      credentials: () => credentials,
      issuer: ISSUER,
      audience: AUDIENCE,
      now: () => clock,
      ...options,
    });
    clients.push(created);
    return created;
  }

  it('recognises only the shape of identity’s opaque tokens', () => {
    assert.equal(isOpaqueToken(opaque()), true);
    for (const token of [
      'a'.repeat(42),
      'a'.repeat(44),
      `${'a'.repeat(42)}+`,
      `${'a'.repeat(42)}.`,
      'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln',
      '',
    ]) {
      assert.equal(isOpaqueToken(token), false, token);
    }
  });

  it('asks identity over mTLS as the gateway and returns the same claims a JWT gives', async () => {
    const token = opaque();
    const claims = await client().introspect(token);
    assert.deepEqual(identity.received, [
      {
        peer: componentSpiffeId(TRUST_DOMAIN, 'gateway'),
        serial: normalSerial(credentials.serial),
        method: 'POST',
        url: '/internal/introspect',
        contentType: 'application/x-www-form-urlencoded',
        token,
      },
    ]);
    assert.deepEqual(
      { ...claims },
      {
        subject: 'user-1',
        principalKind: 'user',
        clientId: 'shop-web',
        scopes: ['orders:read', 'orders:write'],
        groups: ['buyers'],
        amr: ['pwd', 'otp'],
        acr: 'urn:rampart:acr:mfa',
        expiresAt: seconds(clock) + 600,
        issuedAt: seconds(clock),
        jti: claims.jti,
        grantId: 'grant-1',
      },
    );
    assert.match(claims.jti, /^sha256:[A-Za-z0-9_-]{43}$/);
    assert.ok(!claims.jti.includes(token), 'the token itself is never kept as its id');
    assert.ok(Object.isFrozen(claims));
  });

  it('returns the DPoP confirmation, for the authenticate stage to check the proof against', async () => {
    identity.reply = () => ({
      status: 200,
      body: active(clock, { token_type: 'DPoP', cnf: { jkt: 'abc' } }),
    });
    const claims = await client().introspect(opaque());
    assert.deepEqual(claims.cnf, { jkt: 'abc' });
  });

  it('never sends a token that is not opaque-shaped: refused locally, no I/O', async () => {
    const introspection = client();
    for (const token of ['a.b.c', 'x'.repeat(42), `${opaque()}=`]) {
      await refusedWith(introspection.introspect(token), 'GW_TOKEN_INVALID');
    }
    assert.equal(identity.received.length, 0);
  });

  it('reuses an active answer until the cache TTL, then asks again', async () => {
    const introspection = client({ activeTtlMs: 10_000 });
    const token = opaque();
    await introspection.introspect(token);
    clock += 9_999;
    await introspection.introspect(token);
    assert.equal(identity.received.length, 1, 'cached within the TTL');
    clock += 1;
    await introspection.introspect(token);
    assert.equal(identity.received.length, 2, 'asked again once the TTL is over');
    assert.equal(introspection.stats().hits, 1);
  });

  it('never reuses an active answer past the token’s exp', async () => {
    identity.reply = () => ({ status: 200, body: active(clock, { exp: seconds(clock) + 2 }) });
    const introspection = client({ activeTtlMs: 60_000 });
    const token = opaque();
    await introspection.introspect(token);
    clock = (seconds(clock) + 2) * 1000;
    identity.reply = () => ({ status: 200, body: { active: false } });
    await refusedWith(introspection.introspect(token), 'GW_TOKEN_INVALID');
    assert.equal(identity.received.length, 2);
  });

  it('caches an inactive answer briefly, so garbage cannot hammer identity', async () => {
    identity.reply = () => ({ status: 200, body: { active: false } });
    const introspection = client({ inactiveTtlMs: 5_000 });
    const token = opaque();
    await refusedWith(introspection.introspect(token), 'GW_TOKEN_INVALID');
    clock += 4_999;
    await refusedWith(introspection.introspect(token), 'GW_TOKEN_INVALID');
    assert.equal(identity.received.length, 1);
    clock += 1;
    await refusedWith(introspection.introspect(token), 'GW_TOKEN_INVALID');
    assert.equal(identity.received.length, 2);
  });

  it('refuses answers that do not fit this gateway as it refuses such JWTs', async () => {
    const introspection = client();
    const cases: [string, Record<string, unknown>, string][] = [
      ['another issuer', active(clock, { iss: 'https://evil.example/auth' }), 'GW_TOKEN_INVALID'],
      ['another audience', active(clock, { aud: 'https://other.example' }), 'GW_TOKEN_INVALID'],
      ['expired', active(clock, { exp: seconds(clock) - 1 }), 'GW_TOKEN_EXPIRED'],
      ['no subject', active(clock, { sub: '' }), 'GW_TOKEN_INVALID'],
      ['no client', active(clock, { client_id: undefined }), 'GW_TOKEN_INVALID'],
      ['groups not strings', active(clock, { groups: [1] }), 'GW_TOKEN_INVALID'],
      ['cnf not an object', active(clock, { cnf: 'jkt' }), 'GW_TOKEN_INVALID'],
      ['no exp', active(clock, { exp: undefined }), 'GW_TOKEN_INVALID'],
    ];
    for (const [name, body, code] of cases) {
      identity.reply = () => ({ status: 200, body });
      const error = await refusedWith(introspection.introspect(opaque()), code);
      assert.match(error.message, /introspection/, name);
    }
  });

  it('shares one request among concurrent lookups of one token', async () => {
    identity.reply = () => ({ status: 200, body: active(clock), delayMs: 100 });
    const introspection = client();
    const token = opaque();
    const all = await Promise.all(Array.from({ length: 20 }, () => introspection.introspect(token)));
    assert.equal(identity.received.length, 1);
    assert.ok(all.every((claims) => claims === all[0]));
    assert.equal(introspection.stats().inFlight, 0);
  });

  it('caps lookups in flight: beyond the cap, refused at once without asking identity', async () => {
    identity.reply = () => ({ status: 200, body: active(clock), delayMs: 200 });
    const introspection = client({ maxInFlight: 2 });
    const first = introspection.introspect(opaque());
    const second = introspection.introspect(opaque());
    const error = await refusedWith(introspection.introspect(opaque()), 'GW_INTROSPECTION_UNAVAILABLE');
    assert.equal((error as { retryAfterSeconds?: number }).retryAfterSeconds, 1);
    await Promise.all([first, second]);
    assert.equal(identity.received.length, 2);
    await introspection.introspect(opaque());
    assert.equal(identity.received.length, 3, 'room again once they are answered');
  });

  it('stays bounded: the least recently used answer goes first', async () => {
    const introspection = client({ maxEntries: 2 });
    const [a, b, c] = [opaque(), opaque(), opaque()];
    await introspection.introspect(a);
    await introspection.introspect(b);
    await introspection.introspect(a);
    await introspection.introspect(c);
    assert.equal(introspection.stats().active, 2);
    assert.equal(introspection.stats().evictions, 1);
    await introspection.introspect(a);
    assert.equal(identity.received.length, 3, 'a was used recently: still cached');
    await introspection.introspect(b);
    assert.equal(identity.received.length, 4, 'b was evicted: asked again');
  });

  it('keeps garbage apart: inactive answers never evict active ones', async () => {
    const introspection = client({ maxEntries: 2 });
    const live = opaque();
    await introspection.introspect(live);
    identity.reply = () => ({ status: 200, body: { active: false } });
    for (let i = 0; i < 5; i++) await refusedWith(introspection.introspect(opaque()), 'GW_TOKEN_INVALID');
    assert.deepEqual(
      { active: introspection.stats().active, inactive: introspection.stats().inactive },
      { active: 1, inactive: 2 },
    );
    await introspection.introspect(live);
    assert.equal(identity.received.length, 6, 'the live token was still cached');
  });

  it('fails closed when identity cannot answer, and caches nothing', async () => {
    const introspection = client({ timeoutMs: 300 });
    const token = opaque();
    const failures: [string, () => Reply][] = [
      ['503', () => ({ status: 503, body: { error: 'temporarily_unavailable' } })],
      ['500', () => ({ status: 500, body: 'oops' })],
      ['not JSON', () => ({ status: 200, body: 'not json' })],
      ['no active', () => ({ status: 200, body: { sub: 'x' } })],
      ['silence', () => 'hang'],
    ];
    for (const [name, reply] of failures) {
      identity.reply = reply;
      const error = await refusedWith(introspection.introspect(token), 'GW_INTROSPECTION_UNAVAILABLE');
      assert.equal((error as { retryAfterSeconds?: number }).retryAfterSeconds, 1, name);
    }
    identity.reply = () => ({ status: 200, body: active(clock) });
    await introspection.introspect(token);
    assert.equal(identity.received.length, failures.length + 1, 'no failure was cached');
  });

  it('fails closed when identity is down (connection refused)', async () => {
    const down = await startFakeIntrospection(mesh, componentSpiffeId(TRUST_DOMAIN, 'identity'));
    await down.close();
    await refusedWith(client({ url: down.url }).introspect(opaque()), 'GW_INTROSPECTION_UNAVAILABLE');
  });

  it('sends tokens to identity only: a server with another SPIFFE ID never receives one', async () => {
    const impostor = await startFakeIntrospection(mesh, serviceSpiffeId(TRUST_DOMAIN, 'identity'));
    impostor.reply = () => ({ status: 200, body: active(clock) });
    try {
      await refusedWith(client({ url: impostor.url }).introspect(opaque()), 'GW_INTROSPECTION_UNAVAILABLE');
      assert.equal(impostor.received.length, 0);
    } finally {
      await impostor.close();
    }
  });

  it('connects with renewed workload credentials as soon as they are issued', async () => {
    const first = await mesh.gatewayCredentials();
    let current: WorkloadCredentials = first;
    const introspection = client({ credentials: () => current });
    await introspection.introspect(opaque());
    const renewed = await mesh.gatewayCredentials();
    current = renewed;
    await introspection.introspect(opaque());
    assert.deepEqual(
      identity.received.map((received) => received.serial),
      [normalSerial(first.serial), normalSerial(renewed.serial)],
    );
  });
});
