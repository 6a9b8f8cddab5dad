import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { importJWK, SignJWT, type JWK } from 'jose';
import { pseudonym, type SecurityEvent } from '@rampart/sdk';
import type { User } from '../../src/accounts/index.ts';
import { adminRoutes } from '../../src/admin/admin-api.ts';
import { adminOpenApi } from '../../src/admin/openapi.ts';
import { matchRoute } from '../../src/admin/route.ts';
import { adminAudience } from '../../src/oidc/provider.ts';
import { ADMIN_CLI_CLIENT_ID } from '../../src/oidc/client-metadata.ts';
import { startIdentity, type Harness, type HarnessOptions } from '../support/harness.ts';

/** The harness's subject key (see test/support/harness.ts): events carry `pseudonym(key, sub)`. */
const SUBJECT_KEY = new Uint8Array(32).fill(7);

/** A strong password for test accounts (never the common list, never containing a username). */
// rampart-ignore secrets/generic-secret the password of accounts the tests create in a throwaway identity store
export const PASSWORD = 'violet-tundra-orbit-42';

export interface AdminHarness {
  readonly h: Harness;
  readonly admin: User;
  /** The base URL of the admin API. */
  readonly base: string;
  /** An admin token as the provider issues one (see {@link mintToken}); claims may be overridden. */
  token(overrides?: TokenOverrides): Promise<string>;
  /** A call with the admin's token unless `token` says otherwise (null: no Authorization header). */
  call(method: string, path: string, options?: CallOptions): Promise<ApiResponse>;
  /** The events emitted since `from` (an index into `h.events`). */
  eventsSince(from: number): SecurityEvent[];
  /** The pseudonym events carry for this user id. */
  subjectOf(userId: string): string;
  close(): Promise<void>;
}

export interface TokenOverrides {
  readonly sub?: string;
  readonly aud?: string;
  readonly iss?: string;
  readonly scope?: string;
  readonly amr?: readonly string[];
  readonly clientId?: string;
  /** Seconds from now. */
  readonly expiresIn?: number;
  readonly typ?: string;
  readonly extra?: Readonly<Record<string, unknown>>;
  /** Sign with this private JWK instead of the provider's current key. */
  readonly key?: JWK;
}

export interface CallOptions {
  readonly token?: string | null;
  /** An object is sent as JSON; a string is sent as is. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly json: Record<string, unknown>;
  readonly text: string;
}

/** Identity over real HTTPS, with an admin (role `admin`) whose tokens the tests mint. */
export async function startAdminHarness(options: HarnessOptions = {}): Promise<AdminHarness> {
  const h = await startIdentity(options);
  const admin = await h.identity.accounts.createUser({
    username: 'root-admin',
    password: PASSWORD,
    roles: ['admin'],
  });
  const base = `${h.issuer}/admin`;
  const token = (overrides: TokenOverrides = {}) => mintToken(h, { sub: admin.id, ...overrides });
  return {
    h,
    admin,
    base,
    token,
    async call(method, path, callOptions = {}) {
      const bearer = callOptions.token === undefined ? await token() : callOptions.token;
      const headers: Record<string, string> = { ...callOptions.headers };
      if (bearer !== null) headers['authorization'] = `Bearer ${bearer}`;
      let body: string | undefined;
      if (callOptions.body !== undefined) {
        body = typeof callOptions.body === 'string' ? callOptions.body : JSON.stringify(callOptions.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await h.fetch(`${base}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
      });
      const text = await res.text();
      let json: Record<string, unknown> = {};
      if (text !== '' && (res.headers.get('content-type') ?? '').includes('json')) {
        json = JSON.parse(text) as Record<string, unknown>;
      }
      conformsToDocument(h, method, path, res.status, json);
      return { status: res.status, headers: res.headers, json, text };
    },
    eventsSince: (from) => h.events.slice(from),
    subjectOf: (userId) => pseudonym(SUBJECT_KEY, userId),
    close: () => h.close(),
  };
}

/**
 * An admin API access token exactly as oidc-provider issues one to `rampart admin login` (RFC 9068
 * `at+jwt`, ES256, signed with the provider's current key from the same key store, the claims the
 * provider and `extraTokenClaims` put in). The provider's own `AccessToken` model cannot be used
 * outside a request: its `extraTokenClaims` reads the request context.
 */
export async function mintToken(h: Harness, overrides: TokenOverrides & { sub: string }): Promise<string> {
  const [current] = await h.identity.keys.privateJwks();
  const jwk = overrides.key ?? current;
  if (jwk === undefined) throw new Error('no signing key');
  const now = Math.floor(Date.now() / 1000);
  const expiresIn = overrides.expiresIn ?? 600;
  return new SignJWT({
    client_id: overrides.clientId ?? ADMIN_CLI_CLIENT_ID,
    scope: overrides.scope ?? 'admin',
    amr: [...(overrides.amr ?? ['pwd', 'otp', 'mfa'])],
    acr: 'urn:rampart:acr:mfa',
    auth_time: now - 5,
    groups: [],
    ...overrides.extra,
  })
    .setProtectedHeader({
      alg: 'ES256',
      typ: overrides.typ ?? 'at+jwt',
      ...(jwk.kid === undefined ? {} : { kid: jwk.kid }),
    })
    .setJti(randomUUID())
    .setSubject(overrides.sub)
    .setIssuer(overrides.iss ?? h.issuer)
    .setAudience(overrides.aud ?? adminAudience(h.identity.settings))
    .setIssuedAt(now + Math.min(0, expiresIn - 600))
    .setExpirationTime(now + expiresIn)
    .sign(await importJWK(jwk, 'ES256'));
}

const DOCUMENT_ID = 'urn:rampart:identity-admin-openapi';
let responseValidators: Ajv2020 | undefined;

/**
 * Every answer of an operation in these tests is checked against the generated document: a
 * success has the operation's documented status, and an answer with a documented status has the
 * documented body (the response schemas are documentation only; this is what keeps them true).
 */
function conformsToDocument(h: Harness, method: string, path: string, status: number, json: unknown): void {
  const match = matchRoute(adminRoutes, method, path.split('?', 1)[0] ?? '');
  if (match.kind !== 'found') return;
  const { route } = match;
  const key = `${method} ${route.path} → ${status}`;
  if (status < 300) assert.equal(status, route.success.status, `${key}: not the documented success`);
  const doc = adminOpenApi(h.identity.settings, adminRoutes);
  if (responseValidators === undefined) {
    responseValidators = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
    responseValidators.addSchema({ $id: DOCUMENT_ID, components: doc.components });
  }
  const operation = Object.entries(doc.paths[route.path] ?? {}).find(
    ([documented]) => documented.toUpperCase() === method,
  )?.[1];
  const response = operation?.responses[String(status)];
  if (response === undefined || status === 204) return;
  const schemaAt =
    '$ref' in response
      ? `${DOCUMENT_ID}${response.$ref}/content/application~1json/schema`
      : response.content === undefined
        ? undefined
        : `${DOCUMENT_ID}#/components/schemas/${route.success.schema ?? ''}`;
  if (schemaAt === undefined) return;
  const validate: ValidateFunction | undefined = responseValidators.getSchema(schemaAt);
  assert.ok(validate, `${key}: no schema at ${schemaAt}`);
  assert.ok(validate(json), `${key}: ${JSON.stringify(validate.errors)} in ${JSON.stringify(json)}`);
}
