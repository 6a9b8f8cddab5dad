// A deliberately weak API gateway, for `rampart probe` to prove it finds real flaws in a gateway
// that is not Rampart's (issue 15). node:https over TLS with a throwaway certificate, its own
// ES256 issuer (discovery and JWKS under /auth), and these flaws planted on purpose — everything
// else it does right:
//
//   1. a token without `exp` is accepted           (jose checks `exp` only when present)
//   2. `alg: none` is accepted                     (the payload is trusted as is)
//   3. IDOR on GET /orders/{id}                    (any user reads any order)
//   4. no rate limit on GET /orders                (rampart.yaml declares 5 per 10 s)
//   5. verbose errors                              (a 500 with the stack trace for a bad id)
//   6. CORS reflecting any Origin, with credentials (null too)
//   7. no Strict-Transport-Security header
//   8. TLS 1.0 and 1.1 accepted                    (and so the CBC suites they need)
//   9. X-User-Id believed without a token
//
// It never listens beyond 127.0.0.1 and exists only for test/e2e/probe.test.ts.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';
import { selfSignedCertificate, tempDir } from '@rampart/testing';

export interface WeakGateway {
  readonly url: string;
  /** The PEM of its self-signed certificate: the probe's --ca. */
  readonly ca: string;
  /** Its issuer's private signing key (the probe's signingKey in a test environment). */
  readonly signingKey: JWK;
  /** An access token its issuer signs: sub and scope as given, aud this gateway, 10 minutes. */
  token(sub: string, scope: string): Promise<string>;
  close(): Promise<void>;
}

interface Principal {
  readonly sub: string;
  readonly scopes: readonly string[];
}

interface Order {
  readonly id: string;
  readonly owner: string;
  readonly items: unknown;
}

class Refusal extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const ROUTES: { method: string; path: RegExp; scope: string }[] = [
  { method: 'GET', path: /^\/orders$/, scope: 'orders:read' },
  { method: 'POST', path: /^\/orders$/, scope: 'orders:write' },
  { method: 'GET', path: /^\/orders\/([^/]+)$/, scope: 'orders:read' },
  { method: 'GET', path: /^\/profiles\/me$/, scope: 'profile:read' },
];

/** Starts the weak gateway on 127.0.0.1 and a free port. */
export async function startWeakGateway(): Promise<WeakGateway> {
  const dir = await tempDir('weak-gateway-');
  const { key, cert } = selfSignedCertificate(dir.path);
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = randomUUID();
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  const signingKey: JWK = { ...(await exportJWK(privateKey)), kid, alg: 'ES256' };
  const orders = new Map<string, Order>();
  let nextId = 1;
  let origin = '';

  const server: Server = createServer(
    // Flaw 8: the protocol floor and the security level lowered so TLS 1.0 and 1.1 still complete.
    { key, cert, minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' },
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        // Flaw 5: the error and its stack trace go to the client.
        const err = error instanceof Error ? error : new Error(String(error));
        send(req, res, 500, { error: err.message, stack: err.stack });
      });
    },
  );

  async function authenticate(req: IncomingMessage): Promise<Principal> {
    const authorization = req.headers['authorization'];
    if (authorization === undefined) {
      // Flaw 9: an identity header stands in for a token.
      const claimed = req.headers['x-user-id'];
      if (typeof claimed === 'string')
        return { sub: claimed, scopes: ['orders:read', 'orders:write', 'profile:read'] };
      throw new Refusal(401, 'token missing');
    }
    const token = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(authorization)?.[1];
    if (token === undefined) throw new Refusal(401, 'token invalid');
    const [head = ''] = token.split('.');
    let alg: unknown;
    try {
      alg = (JSON.parse(Buffer.from(head, 'base64url').toString('utf8')) as { alg?: unknown }).alg;
    } catch {
      throw new Refusal(401, 'token invalid');
    }
    let claims: Record<string, unknown>;
    if (typeof alg === 'string' && alg.toLowerCase() === 'none') {
      // Flaw 2: an unsigned token's claims are believed.
      claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
        string,
        unknown
      >;
    } else {
      try {
        // Flaw 1: no requiredClaims — jose checks `exp` only when the token has one.
        ({ payload: claims } = await jwtVerify(token, publicKey, {
          algorithms: ['ES256'],
          issuer: `${origin}/auth`,
          audience: origin,
        }));
      } catch {
        throw new Refusal(401, 'token invalid');
      }
    }
    const scope = typeof claims['scope'] === 'string' ? claims['scope'] : '';
    return { sub: String(claims['sub']), scopes: scope.split(' ') };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', origin);
    if (req.method === 'OPTIONS') {
      send(req, res, 204, undefined);
      return;
    }
    if (req.method === 'GET' && url.pathname === '/auth/.well-known/openid-configuration') {
      send(req, res, 200, { issuer: `${origin}/auth`, jwks_uri: `${origin}/auth/jwks` });
      return;
    }
    if (req.method === 'GET' && url.pathname === '/auth/jwks') {
      send(req, res, 200, { keys: [publicJwk] });
      return;
    }
    try {
      const principal = await authenticate(req);
      const route = ROUTES.find((r) => r.path.test(url.pathname) && r.method === req.method);
      if (route === undefined)
        throw ROUTES.some((r) => r.path.test(url.pathname))
          ? new Refusal(405, 'method not allowed')
          : new Refusal(404, 'not found');
      if (!principal.scopes.includes(route.scope)) throw new Refusal(403, 'insufficient scope');
      const id = route.path.exec(url.pathname)?.[1];
      if (url.pathname === '/profiles/me') {
        send(req, res, 200, { sub: principal.sub });
        return;
      }
      if (req.method === 'GET' && id === undefined) {
        send(
          req,
          res,
          200,
          [...orders.values()].filter((o) => o.owner === principal.sub),
        );
        return;
      }
      if (req.method === 'POST') {
        const items = validOrder(await readJson(req));
        const order: Order = { id: String(nextId++), owner: principal.sub, items };
        orders.set(order.id, order);
        send(req, res, 201, order);
        return;
      }
      // Flaw 3 (no owner check) and flaw 5 (BigInt throws a SyntaxError on a non-numeric id).
      const order = orders.get(BigInt(decodeURIComponent(id ?? '')).toString());
      if (order === undefined) throw new Refusal(404, 'no such order');
      send(req, res, 200, order);
      return;
    } catch (error) {
      if (error instanceof Refusal) {
        send(req, res, error.status, { error: error.message });
        return;
      }
      throw error;
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  origin = `https://127.0.0.1:${address.port}`;
  return {
    url: origin,
    ca: cert,
    signingKey,
    token: (sub, scope) => sign(privateKey, kid, { iss: `${origin}/auth`, aud: origin, sub, scope }),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
      await dir.cleanup();
    },
  };
}

function sign(key: CryptoKey, kid: string, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT({ ...claims, client_id: 'weak-web', jti: randomUUID() })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(key);
}

function send(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
    // Flaw 7: no strict-transport-security.
  };
  const origin = req.headers['origin'];
  if (typeof origin === 'string') {
    // Flaw 6: whatever Origin comes is allowed, with credentials.
    headers['access-control-allow-origin'] = origin;
    headers['access-control-allow-credentials'] = 'true';
    headers['access-control-allow-headers'] = 'authorization, content-type';
  }
  res.writeHead(status, headers);
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 65_536) throw new Refusal(413, 'body too large');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new Refusal(400, 'malformed JSON');
  }
}

/** The body schema of POST /orders, checked by hand (done right). */
function validOrder(body: unknown): unknown {
  const bad = new Refusal(400, 'invalid order');
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad;
  const keys = Object.keys(body);
  const items = (body as { items?: unknown }).items;
  if (keys.length !== 1 || !Array.isArray(items) || items.length === 0) throw bad;
  for (const item of items) {
    if (typeof item !== 'object' || item === null) throw bad;
    const { sku, quantity, ...rest } = item as Record<string, unknown>;
    if (Object.keys(rest).length > 0 || typeof sku !== 'string' || !/^[A-Z0-9-]{1,32}$/.test(sku)) throw bad;
    if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 1 || quantity > 100)
      throw bad;
  }
  return items;
}
