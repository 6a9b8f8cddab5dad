import type { Passkey } from '../accounts/index.ts';
import { notFound } from './admin-error.ts';
import { audit } from './audit.ts';
import { param, route, type Route } from './route.ts';
import { loadUser, userIdParameter } from './user-lookup.ts';

/** A credential id is at most 1023 bytes (WebAuthn §5.8.3): 1364 base64url characters. */
const CREDENTIAL_ID = /^[A-Za-z0-9_-]{1,1364}$/;

function passkeyView(passkey: Passkey): Record<string, unknown> {
  return {
    id: passkey.credentialId,
    name: passkey.name,
    transports: passkey.transports,
    backedUp: passkey.backedUp,
    createdAt: new Date(passkey.createdAt).toISOString(),
    lastUsedAt: passkey.lastUsedAt === null ? null : new Date(passkey.lastUsedAt).toISOString(),
  };
}

/**
 * A user's authenticators: whether TOTP is on (and how many recovery codes are left) and their
 * passkeys; removing the TOTP factor (with its recovery codes) or one passkey — for a user who
 * lost a device. Each removal is an `admin.mfa_removed` event (`totp_removed`, `passkey_removed`).
 */
export const deviceRoutes: readonly Route[] = [
  route({
    method: 'GET',
    path: '/users/{id}/devices',
    operationId: 'listDevices',
    tag: 'users',
    summary: "A user's TOTP status and passkeys",
    parameters: { id: userIdParameter },
    success: { status: 200, schema: 'Devices', description: 'The authenticators.' },
    refusals: ['404'],
    handle: async (call) => {
      const { totp, passkeys } = call.identity;
      const user = await loadUser(call);
      const enabled = await totp.hasTotp(user.id);
      return {
        status: 200,
        body: {
          totp: { enabled, recoveryCodesLeft: enabled ? await totp.remainingRecoveryCodes(user.id) : 0 },
          passkeys: (await passkeys.list(user.id)).map(passkeyView),
        },
      };
    },
  }),
  route({
    method: 'DELETE',
    path: '/users/{id}/devices/totp',
    operationId: 'removeTotp',
    tag: 'users',
    summary: 'Remove the TOTP factor and its recovery codes',
    parameters: { id: userIdParameter },
    success: { status: 204, description: 'Removed.' },
    refusals: ['404'],
    handle: async (call) => {
      const user = await loadUser(call);
      if (!(await call.identity.totp.remove(user.id))) throw notFound('TOTP factor');
      audit(call.identity.events, call.admin, 'admin.mfa_removed', 'totp_removed');
      return { status: 204 };
    },
  }),
  route({
    method: 'DELETE',
    path: '/users/{id}/devices/passkeys/{credentialId}',
    operationId: 'removePasskey',
    tag: 'users',
    summary: 'Remove one passkey',
    parameters: {
      id: userIdParameter,
      credentialId: { description: 'The credential id (base64url).', schema: { type: 'string' } },
    },
    success: { status: 204, description: 'Removed.' },
    refusals: ['404'],
    handle: async (call) => {
      const user = await loadUser(call);
      const credentialId = param(call, 'credentialId');
      const removed =
        CREDENTIAL_ID.test(credentialId) && (await call.identity.passkeys.remove(user.id, credentialId));
      if (!removed) throw notFound('passkey');
      audit(call.identity.events, call.admin, 'admin.mfa_removed', 'passkey_removed');
      return { status: 204 };
    },
  }),
];
