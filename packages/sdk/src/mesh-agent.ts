import { Agent } from 'undici';
import { verifyPeerSpiffeId, type WorkloadCredentials } from '@rampart/mesh';

/** What a workload presents and trusts on an mTLS connection. */
export type MeshCredentials = Pick<WorkloadCredentials, 'keyPem' | 'certPem' | 'caPems'>;

export interface MeshAgentLimits {
  /** One deadline for the headers and the body, and for connecting unless `connectTimeoutMs` is set. */
  readonly timeoutMs: number;
  /** A shorter deadline for connecting (the gateway fails over from a dead upstream sooner). */
  readonly connectTimeoutMs?: number;
  /** The largest answer read. */
  readonly maxResponseBytes: number;
}

/**
 * A connection pool to one mesh peer: mTLS 1.3 with the workload's certificate, trusting only the
 * mesh bundle and a server that proves exactly `serverSpiffeId` in its URI SAN (the host name is
 * not what identifies it). Make a new one when the certificate rotates.
 *
 * @example
 * const agent = meshAgent(identity.current(), serviceSpiffeId('shop.local', 'payments'), { timeoutMs: 10_000, maxResponseBytes: 1 << 20 });
 */
export function meshAgent(
  credentials: MeshCredentials,
  serverSpiffeId: string,
  limits: MeshAgentLimits,
): Agent {
  return new Agent({
    connect: {
      ca: [...credentials.caPems],
      cert: credentials.certPem,
      key: credentials.keyPem,
      checkServerIdentity: verifyPeerSpiffeId(serverSpiffeId),
      minVersion: 'TLSv1.3',
      rejectUnauthorized: true,
      timeout: limits.connectTimeoutMs ?? limits.timeoutMs,
    },
    headersTimeout: limits.timeoutMs,
    bodyTimeout: limits.timeoutMs,
    maxResponseSize: limits.maxResponseBytes,
  });
}
