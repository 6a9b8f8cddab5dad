import type { SigningKeyInfo } from '../keys/signing-keys.ts';
import { audit } from './audit.ts';
import { route, type Route } from './route.ts';
import { jsonBody } from './validate-body.ts';

/** A signing key as the admin API shows it: identifiers, state and dates, never key material. */
function keyView(key: SigningKeyInfo): Record<string, unknown> {
  const iso = (at: number | null): string | null => (at === null ? null : new Date(at).toISOString());
  return {
    kid: key.kid,
    alg: key.alg,
    state: key.state,
    createdAt: new Date(key.createdAt).toISOString(),
    activatedAt: iso(key.activatedAt),
    retiredAt: iso(key.retiredAt),
  };
}

/**
 * Token-signing keys: list them (current, next, retired-but-published), and rotate — the next key
 * (already published) starts signing, the current one is retired but stays published until its
 * tokens have expired, and a new next key is published. The provider is rebuilt at once here;
 * other replicas notice within their key poll. An `admin.keys_rotated` event.
 */
export const keyRoutes: readonly Route[] = [
  route({
    method: 'GET',
    path: '/keys',
    operationId: 'listKeys',
    tag: 'keys',
    summary: 'List signing keys (never key material)',
    success: { status: 200, schema: 'KeyList', description: 'The keys.' },
    handle: async ({ identity }) => ({
      status: 200,
      body: { items: (await identity.keys.list()).map(keyView), next: null },
    }),
  }),
  route({
    method: 'POST',
    path: '/keys/rotate',
    operationId: 'rotateKeys',
    tag: 'keys',
    summary: 'Rotate: the published next key starts signing, a new next key is published',
    success: { status: 200, schema: 'KeysRotated', description: 'The keys after the rotation.' },
    body: jsonBody<Record<string, never>>('Empty', false),
    handle: async ({ identity, admin }) => {
      const current = await identity.keys.rotate();
      await identity.refreshKeys();
      audit(identity.events, admin, 'admin.keys_rotated');
      return { status: 200, body: { current, items: (await identity.keys.list()).map(keyView) } };
    },
  }),
];
