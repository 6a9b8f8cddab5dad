import { Agent } from 'undici';
import { verifyPeerSpiffeId, type WorkloadCredentials } from '@rampart/mesh';

/**
 * A connection pool to identity's internal endpoints (the revocation feed, introspection): mTLS 1.3
 * with the gateway's workload certificate, believing only a server that proves `identitySpiffeId`,
 * with one deadline for connecting, the headers and the body, and a bound on the answer's size.
 *
 * @example
 * const agent = identityAgent(credentials(), componentSpiffeId(td, 'identity'), { timeoutMs: 2_000, maxResponseBytes: 65_536 });
 */
export function identityAgent(
  credentials: WorkloadCredentials,
  identitySpiffeId: string,
  limits: { readonly timeoutMs: number; readonly maxResponseBytes: number },
): Agent {
  return new Agent({
    connect: {
      ca: [...credentials.caPems],
      cert: credentials.certPem,
      key: credentials.keyPem,
      checkServerIdentity: verifyPeerSpiffeId(identitySpiffeId),
      minVersion: 'TLSv1.3',
      rejectUnauthorized: true,
      timeout: limits.timeoutMs,
    },
    headersTimeout: limits.timeoutMs,
    bodyTimeout: limits.timeoutMs,
    maxResponseSize: limits.maxResponseBytes,
  });
}
