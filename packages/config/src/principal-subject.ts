/**
 * Who a token's `sub` names. Rampart has two kinds of principal, and no subject of one kind can
 * ever equal a subject of the other, so a service that keys data by subject cannot mistake one
 * for the other:
 *
 * - a **user**: `sub` is identity's account id, a random UUID;
 * - a **client** acting for itself (client credentials): `sub` is `client:<client id>`.
 *
 * The `client:` namespace alone keeps the two apart (a UUID has no colon). On top of that a client
 * id may not look like another kind's id ({@link clientIdConflict}), so no client id reads as a
 * user id anywhere (logs, the admin API, rampart.yaml).
 */
export type PrincipalKind = 'user' | 'client';

/** The namespace of client subjects: `client:<client id>`. */
export const CLIENT_SUBJECT_PREFIX = 'client:';

/** A client id (rampart.yaml `identity.clients[].id`, the admin API's `clientId`). */
const CLIENT_ID = /^[a-z][a-z0-9-]{0,62}$/;
/** The shape of a user id: identity's account ids are UUIDs (RFC 9562), lower case. */
const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The subject of tokens a client obtains for itself.
 *
 * @example
 * clientSubject('shop-cli'); // 'client:shop-cli'
 */
export function clientSubject(clientId: string): string {
  return `${CLIENT_SUBJECT_PREFIX}${clientId}`;
}

/**
 * The kind of principal `subject` names: `client` for a well-formed `client:<client id>`, `user`
 * for a subject outside the client namespace, undefined for a malformed client subject.
 *
 * @example
 * principalKindOf('client:shop-cli'); // 'client'
 * principalKindOf('0b0e3c5e-7d1a-4f57-9f0e-2f7c1f1b6a11'); // 'user'
 */
export function principalKindOf(subject: string): PrincipalKind | undefined {
  if (!subject.startsWith(CLIENT_SUBJECT_PREFIX)) return 'user';
  const clientId = subject.slice(CLIENT_SUBJECT_PREFIX.length);
  return CLIENT_ID.test(clientId) && clientIdConflict(clientId) === undefined ? 'client' : undefined;
}

/**
 * Why `clientId` may not be a client id although it has the right characters — it looks like the
 * id of another kind of principal — or undefined when it may.
 *
 * @example
 * clientIdConflict('0b0e3c5e-7d1a-4f57-9f0e-2f7c1f1b6a11'); // 'looks like a user id (a UUID)'
 */
export function clientIdConflict(clientId: string): string | undefined {
  return USER_ID.test(clientId) ? 'looks like a user id (a UUID)' : undefined;
}
