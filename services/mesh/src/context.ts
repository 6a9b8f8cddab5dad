import type { RampartConfig } from '@rampart/config';
import type { CertificateAuthority, IssuedCertificate, JoinAttestor } from '@rampart/mesh';
import type { Logger, SecurityEvents } from '@rampart/sdk';
import type { JoinLimiter } from './join/join-limiter.ts';
import type { InternalTokenKeyPair, PublicKey } from '@rampart/tokens';

/** What the routes share: the CA, attestors, keys, the current configuration and the log. */
export interface MeshContext {
  readonly ca: CertificateAuthority;
  /** One per evidence type it accepts: `join_token` always, `k8s_psat` on Kubernetes. */
  readonly attestors: readonly JoinAttestor[];
  /** Bounds the Kubernetes joins (each costs the API server a TokenReview). */
  readonly joinLimiter: JoinLimiter;
  readonly tokenKeys: InternalTokenKeyPair;
  /**
   * Every public key that verifies internal tokens, published with the bundle: the mesh's own and
   * those of the other signers (the gateway signs with a key of its own, never the mesh's).
   */
  readonly publishedTokenKeys: readonly string[];
  /**
   * The keys a subject token may be signed with: the mesh's own (tokens it exchanged earlier in a
   * chain) and the other signers' (the gateway's, for the first hop).
   */
  readonly subjectTokenKeys: readonly PublicKey[];
  readonly log: Logger;
  /** The authority's security events: its log and, with an audit service, its outbox. */
  readonly events: SecurityEvents;
  readonly trustDomain: string;
  /** Lifetime of the leaves issued to workloads. */
  readonly leafTtlMs: number;
  config(): Readonly<RampartConfig>;
  now(): number;
}

/** The body of a successful join or renewal. */
export interface IssuanceBody {
  readonly certificate: string;
  readonly chain: readonly string[];
  readonly bundle: string;
  readonly tokenKeys: readonly string[];
  readonly notAfter: string;
}

export async function issuanceBody(context: MeshContext, issued: IssuedCertificate): Promise<IssuanceBody> {
  return {
    certificate: issued.certPem,
    chain: issued.chainPems,
    bundle: await context.ca.bundlePem(),
    tokenKeys: context.publishedTokenKeys,
    notAfter: issued.notAfter.toISOString(),
  };
}
