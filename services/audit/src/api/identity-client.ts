import type { Agent } from 'undici';
import { request } from 'undici';
import { RampartError } from '@rampart/errors';
import { componentSpiffeId, type WorkloadCredentials } from '@rampart/mesh';
import { meshAgent } from '@rampart/sdk';
import { peerOrigin } from '@rampart/config';

export interface IdentityClientOptions {
  readonly trustDomain: string;
  /** Identity's port (`ports.identity`), at its address of `peerOrigin`. */
  readonly identityPort: number;
  /** The audit service's workload certificate: identity serves its internal routes to it alone. */
  readonly credentials: () => WorkloadCredentials;
}

/** The audit service's calls to identity's internal routes, forwarding an admin's bearer token. */
export interface IdentityClient {
  /**
   * POSTs to `path` with the admin's `token` (and a JSON `body`), over mTLS to
   * `spiffe://<td>/rampart/identity` alone; resolves identity's JSON answer. Anything but a 200,
   * or no answer within 5 s, is `AUDIT_IDENTITY_UNAVAILABLE` (callers fail closed).
   */
  post(path: string, token: string, body?: unknown): Promise<unknown>;
  /** After a certificate renewal: the next call connects with the new one. */
  rotate(): void;
  close(): Promise<void>;
}

/**
 * One connection pool to identity for the audit API's admin-token checks and re-identifications.
 *
 * @example
 * const identity = createIdentityClient({ trustDomain, identityPort: ports.identity, credentials });
 * const answer = await identity.post('/internal/admin-token', token);
 */
export function createIdentityClient(options: IdentityClientOptions): IdentityClient {
  const identityId = componentSpiffeId(options.trustDomain, 'identity');
  let agent: Agent | undefined;
  const agentNow = (): Agent => {
    agent ??= meshAgent(options.credentials(), identityId, { timeoutMs: 5_000, maxResponseBytes: 16 * 1024 });
    return agent;
  };
  return {
    async post(path, token, body) {
      let status: number;
      let answer: unknown;
      try {
        const response = await request(`${peerOrigin('identity', options.identityPort)}${path}`, {
          method: 'POST',
          dispatcher: agentNow(),
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(5_000),
        });
        status = response.statusCode;
        if (status === 200) answer = await response.body.json();
        else await response.body.dump();
      } catch (error) {
        throw new RampartError('AUDIT_IDENTITY_UNAVAILABLE', {
          detail: 'identity not reachable',
          cause: error,
        });
      }
      if (status !== 200) {
        throw new RampartError('AUDIT_IDENTITY_UNAVAILABLE', { detail: `identity answered ${status}` });
      }
      return answer;
    },
    rotate() {
      const old = agent;
      agent = undefined;
      old?.close().catch(() => undefined);
    },
    async close() {
      const old = agent;
      agent = undefined;
      await old?.close();
    },
  };
}
