import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A self-signed P-256 certificate for 127.0.0.1 (and `localhost` when asked), made with the system
 * openssl in `dir`: a stand-in server certificate for tests of TLS clients.
 *
 * @example
 * const { key, cert } = selfSignedCertificate(dir.path, '127.0.0.1');
 */
export function selfSignedCertificate(
  dir: string,
  host: '127.0.0.1' | 'localhost' = '127.0.0.1',
  name = 'tls',
): { key: string; cert: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  const san = `subjectAltName=${host === 'localhost' ? 'DNS:localhost,' : ''}IP:127.0.0.1`;
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1'].concat([
      '-subj',
      `/CN=${host}`,
      '-addext',
      san,
      '-keyout',
      key,
      '-out',
      cert,
    ]),
    { stdio: 'ignore' },
  );
  return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
}
