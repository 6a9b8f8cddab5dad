import { X509Certificate } from 'node:crypto';
import { pemBlocks } from './pem.ts';

/**
 * What is wrong with a file of CA certificates about to be pinned (the only roots an upstream
 * outside the mesh is verified with), or undefined when it can be: at least one PEM certificate,
 * nothing else that looks like PEM, and every certificate a CA (`basicConstraints CA:TRUE`) valid now.
 * An expired or not-yet-valid one is refused rather than left to fail every handshake later.
 *
 * @example
 * const problem = pinnedCaProblem(readFileSync(caFile, 'utf8'));
 * if (problem !== undefined) throw new Error(`external.partner.ca: ${problem}`);
 */
export function pinnedCaProblem(pem: string, now: number = Date.now()): string | undefined {
  const blocks = pemBlocks(pem);
  if (blocks.length === 0) return 'it holds no PEM certificate';
  if ((pem.match(/-----BEGIN /g) ?? []).length !== blocks.length)
    return 'it holds PEM blocks that are not certificates (a key?) or a damaged certificate';
  for (const [index, block] of blocks.entries()) {
    const which = blocks.length === 1 ? 'the certificate' : `certificate ${index + 1}`;
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(block);
    } catch {
      return `${which} does not parse as X.509`;
    }
    if (!certificate.ca)
      return `${which} (${certificate.subject.replaceAll('\n', ', ')}) is not a CA certificate`;
    if (Date.parse(certificate.validFrom) > now)
      return `${which} is not valid before ${certificate.validFrom}`;
    if (Date.parse(certificate.validTo) <= now) return `${which} expired on ${certificate.validTo}`;
  }
  return undefined;
}
