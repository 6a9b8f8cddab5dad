import { writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { CertificateAuthority, componentSpiffeId, createWorkloadCsr, MAX_LEAF_TTL_MS } from '@rampart/mesh';
import { writeOwnedFile } from './owned-files.ts';
import type { RunAs } from './privileges.ts';

export interface EdgeTlsFiles {
  /** The trust anchor clients use for the gateway: `.rampart/ca.pem`. */
  readonly caFile: string;
  /** The gateway's certificate and key (0600, owned by the gateway's user). */
  readonly certFile: string;
  readonly keyFile: string;
}

/** Re-issued well before the 24-hour certificate expires. */
export const EDGE_RENEW_INTERVAL_MS = 12 * 60 * 60 * 1000;

/**
 * The gateway's public TLS certificate, from a local edge CA kept apart from the mesh CA (a
 * client that trusts `ca.pem` must not trust workload certificates). The CA key stays in
 * `.rampart/edge-ca/` (0600), which no component may read; the supervisor issues a fresh key and
 * certificate for 127.0.0.1 and localhost (passkeys need a domain name), and the host of
 * `gateway.publicUrl` when set, at every gateway start and every 12 hours.
 */
export async function issueEdgeCertificate(
  caDir: string,
  trustDomain: string,
  files: EdgeTlsFiles,
  runAs: RunAs | null,
  publicUrl?: string,
): Promise<void> {
  const ca = await CertificateAuthority.open(caDir, { trustDomain });
  const spiffeId = componentSpiffeId(trustDomain, 'gateway');
  const { keyPem, csrPem } = await createWorkloadCsr(spiffeId);
  const issued = await ca.issue({
    csrPem,
    spiffeId,
    ttlMs: MAX_LEAF_TTL_MS,
    ...sansOf(publicUrl),
  });
  writeFileSync(files.caFile, await ca.bundlePem(), { mode: 0o644 });
  // Into the gateway's own directory, which its user may write: never through a link it planted.
  writeOwnedFile(files.certFile, [issued.certPem, ...issued.chainPems].join(''), 0o644, runAs);
  writeOwnedFile(files.keyFile, keyPem, 0o600, runAs);
}

/** 127.0.0.1 and localhost, and `publicUrl`'s host (a name, or an address without IPv6 brackets). */
function sansOf(publicUrl: string | undefined): { ipSans: string[]; dnsSans: string[] } {
  const ipSans = ['127.0.0.1'];
  const dnsSans = ['localhost'];
  const host = publicUrl === undefined ? undefined : new URL(publicUrl).hostname.replace(/^\[|\]$/gu, '');
  if (host !== undefined && host !== 'localhost' && host !== '127.0.0.1') {
    (isIP(host) === 0 ? dnsSans : ipSans).push(host);
  }
  return { ipSans, dnsSans };
}
