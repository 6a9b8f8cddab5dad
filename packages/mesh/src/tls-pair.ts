import { createPrivateKey, X509Certificate } from 'node:crypto';

/**
 * What is wrong with a TLS certificate and key about to be served, or undefined when they can be:
 * the certificate must parse (PEM, leaf first), be valid now, and match the key. Used on a
 * certificate an operator supplies (`gateway.tls`) before it replaces the one being served, so a
 * half-written or mismatched pair is refused and the old one kept.
 *
 * @example
 * const problem = tlsPairProblem(readFileSync(certFile, 'utf8'), readFileSync(keyFile, 'utf8'));
 * if (problem !== undefined) throw new Error(`gateway.tls: ${problem}`);
 */
export function tlsPairProblem(
  certPem: string,
  keyPem: string,
  now: number = Date.now(),
): string | undefined {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(certPem);
  } catch {
    return 'the certificate file holds no PEM certificate';
  }
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    return 'the key file holds no PEM private key (an encrypted key is not supported)';
  }
  if (!leaf.checkPrivateKey(key)) return 'the key does not belong to the certificate (its first PEM block)';
  if (Date.parse(leaf.validFrom) > now) return `the certificate is not valid before ${leaf.validFrom}`;
  if (Date.parse(leaf.validTo) <= now) return `the certificate expired on ${leaf.validTo}`;
  return undefined;
}
