import type { ApiClient } from './http.ts';

export interface User {
  readonly id: string;
  readonly username: string;
  readonly displayName: string | null;
  readonly email: string | null;
  readonly groups: readonly string[];
  readonly roles: readonly string[];
  readonly disabled: boolean;
  readonly mustChangePassword: boolean;
  readonly mfa: { readonly totp: boolean; readonly passkeys: number };
  readonly createdAt: string;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly next: string | null;
}

export interface Client {
  readonly clientId: string;
  readonly source: 'config' | 'builtin' | 'api';
  readonly type: 'confidential' | 'public';
  readonly grants: readonly string[];
  readonly redirectUris: readonly string[];
  readonly scopes: readonly string[];
  readonly requireMfa: boolean;
  readonly authMethod: string;
  readonly disabled: boolean;
  readonly createdAt: string | null;
}

export interface Session {
  readonly id: string;
  readonly signedInAt: string | null;
  readonly expiresAt: string | null;
  readonly amr: readonly string[];
  readonly acr: string | null;
  readonly clients: readonly string[];
}

/** A session in the list of everyone signed in (`GET /sessions`), with its user. */
export interface UserSession extends Session {
  readonly userId: string;
  readonly username: string;
}

export interface Passkey {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
}

export interface Devices {
  readonly totp: { readonly enabled: boolean; readonly recoveryCodesLeft: number };
  readonly passkeys: readonly Passkey[];
}

export interface Group {
  readonly name: string;
  readonly description: string | null;
  readonly members: number;
}

export interface NewUser {
  readonly username: string;
  readonly displayName?: string;
  readonly email?: string;
  readonly groups?: readonly string[];
  readonly roles?: readonly string[];
}

export interface UserChange {
  readonly disabled?: boolean;
  readonly groups?: readonly string[];
  readonly roles?: readonly string[];
  readonly displayName?: string | null;
  readonly email?: string | null;
}

export interface NewClient {
  readonly clientId: string;
  readonly type: 'confidential' | 'public';
  readonly grants: readonly string[];
  readonly scopes: readonly string[];
  readonly redirectUris?: readonly string[];
  readonly requireMfa?: boolean;
}

const seg = encodeURIComponent;

/** Identity's admin API (`<issuer>/admin`, services/identity/src/admin); every change is audited there. */
export function identityAdmin(api: ApiClient, base: string) {
  const page = (path: string, after: string | null, limit = 50): string =>
    `${base}${path}?limit=${limit}${after === null ? '' : `&after=${seg(after)}`}`;
  return {
    users: (after: string | null = null, limit = 50) => api.get<Page<User>>(page('/users', after, limit)),
    createUser: (user: NewUser) =>
      api.send<{ user: User; oneTimePassword?: string }>('POST', `${base}/users`, user),
    updateUser: (id: string, change: UserChange) =>
      api.send<User>('PATCH', `${base}/users/${seg(id)}`, change),
    resetPassword: (id: string) =>
      api.send<{ oneTimePassword: string }>('POST', `${base}/users/${seg(id)}/password-reset`),
    devices: (id: string) => api.get<Devices>(`${base}/users/${seg(id)}/devices`),
    removeTotp: (id: string) => api.send('DELETE', `${base}/users/${seg(id)}/devices/totp`),
    removePasskey: (id: string, credential: string) =>
      api.send('DELETE', `${base}/users/${seg(id)}/devices/passkeys/${seg(credential)}`),
    sessions: (id: string) => api.get<Page<Session>>(`${base}/users/${seg(id)}/sessions`),
    allSessions: (after: string | null = null, limit = 50) =>
      api.get<Page<UserSession>>(page('/sessions', after, limit)),
    endSessions: (id: string) => api.send<{ revoked: number }>('DELETE', `${base}/users/${seg(id)}/sessions`),
    endSession: (id: string, sid: string) =>
      api.send<{ revoked: number }>('DELETE', `${base}/users/${seg(id)}/sessions/${seg(sid)}`),
    groups: () => api.get<Page<Group>>(page('/groups', null, 100)),
    clients: (after: string | null = null) => api.get<Page<Client>>(page('/clients', after)),
    createClient: (client: NewClient) =>
      api.send<{ client: Client; clientSecret?: string }>('POST', `${base}/clients`, client),
    rotateSecret: (id: string) =>
      api.send<{ clientSecret: string }>('POST', `${base}/clients/${seg(id)}/secret`),
    setClientDisabled: (id: string, disabled: boolean) =>
      api.send<Client>('PATCH', `${base}/clients/${seg(id)}`, { disabled }),
    deleteClient: (id: string) => api.send('DELETE', `${base}/clients/${seg(id)}`),
  };
}

export type IdentityAdmin = ReturnType<typeof identityAdmin>;
