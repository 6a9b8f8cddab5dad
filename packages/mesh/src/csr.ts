import { webcrypto } from 'node:crypto';
import { Pkcs10CertificateRequestGenerator, SubjectAlternativeNameExtension } from './x509.ts';
import { toPem } from './pem.ts';
import { parseSpiffeId } from './spiffe-id.ts';

/** The key algorithm of workload keys and CA keys: ECDSA on P-256 with SHA-256. */
export const EC_KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const EC_SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** A fresh workload key (PKCS#8 PEM) and a PKCS#10 request signed with it. */
export interface WorkloadCsr {
  /** The private key, PKCS#8 PEM. Keep it in memory; never log it. */
  readonly keyPem: string;
  readonly csrPem: string;
}

/**
 * Generates an ECDSA P-256 key and a CSR for `spiffeId` (its URI SAN). The authority ignores the
 * names a CSR asks for — it binds the ID it knows — so the SAN here is informative only.
 *
 * @example
 * const { keyPem, csrPem } = await createWorkloadCsr('spiffe://shop.local/service/orders');
 */
export async function createWorkloadCsr(spiffeId: string): Promise<WorkloadCsr> {
  if (parseSpiffeId(spiffeId) === null) throw new TypeError(`"${spiffeId}" is not a SPIFFE ID`);
  const keys = await webcrypto.subtle.generateKey(EC_KEY_ALGORITHM, true, ['sign', 'verify']);
  const csr = await Pkcs10CertificateRequestGenerator.create({
    keys,
    signingAlgorithm: EC_SIGNING_ALGORITHM,
    extensions: [new SubjectAlternativeNameExtension([{ type: 'url', value: spiffeId }])],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { keyPem: toPem(pkcs8, 'PRIVATE KEY'), csrPem: csr.toString('pem') };
}
