import { connect, type ConnectionOptions, type SecureVersion } from 'node:tls';
import { report, type ProbeContext } from '../context.ts';
import type { Exchange } from '../target.ts';

/** TLS 1.2 suites Mozilla's intermediate profile leaves out: CBC, SHA-1 MACs, static RSA, 3DES. */
const WEAK_SUITES = [
  'ECDHE-ECDSA-AES128-SHA',
  'ECDHE-RSA-AES128-SHA',
  'ECDHE-ECDSA-AES256-SHA',
  'ECDHE-RSA-AES256-SHA',
  'ECDHE-ECDSA-AES128-SHA256',
  'ECDHE-RSA-AES128-SHA256',
  'ECDHE-ECDSA-AES256-SHA384',
  'ECDHE-RSA-AES256-SHA384',
  'AES128-GCM-SHA256',
  'AES256-GCM-SHA384',
  'AES128-SHA',
  'AES256-SHA',
  'AES128-SHA256',
  'AES256-SHA256',
  'DES-CBC3-SHA',
];

/** Completes a handshake limited to `version` and `ciphers`: the cipher agreed, or undefined. */
function handshake(
  base: ConnectionOptions,
  version: SecureVersion,
  ciphers: string,
): Promise<{ cipher: string; protocol: string } | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ ...base, minVersion: version, maxVersion: version, ciphers }, () => {
      const cipher = socket.getCipher();
      const protocol = socket.getProtocol() ?? version;
      socket.destroy();
      resolve({ cipher: cipher.name, protocol });
    });
    socket.setTimeout(5000, () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.on('error', () => {
      resolve(undefined);
    });
  });
}

const exchangeAt = (path: string): Exchange => ({
  request: { method: 'GET', path },
  status: 0,
  headers: {},
  body: '',
});

/**
 * TLS versions and suites: a handshake limited to TLS 1.0, to TLS 1.1, and to TLS 1.2 with only
 * weak suites must each fail. (The probe's own OpenSSL must still speak them: security level 0.)
 */
export async function checkTls(ctx: ProbeContext): Promise<void> {
  ctx.progress('TLS: legacy versions and weak suites');
  const base = ctx.target.tlsOptions();
  const url = ctx.target.url.origin;
  for (const [version, flag] of [
    ['TLSv1', '--tlsv1.0 --tls-max 1.0'],
    ['TLSv1.1', '--tlsv1.1 --tls-max 1.1'],
  ] as const) {
    await ctx.target.take();
    const agreed = await handshake(base, version, 'DEFAULT:@SECLEVEL=0');
    if (agreed !== undefined)
      report(ctx, 'probe/tls-legacy-version', exchangeAt('/'), {
        variant: version,
        message: `The target completed a ${agreed.protocol} handshake (${agreed.cipher}).`,
        evidence: {
          request: `TLS ClientHello limited to ${version}`,
          response: `handshake completed: ${agreed.protocol}, ${agreed.cipher}`,
        },
        reproduction: `curl -sS -o /dev/null -w '%{http_code}\\n' ${flag} ${ctx.curlTls} '${url}/'`.replace(
          /  +/g,
          ' ',
        ),
      });
  }
  await ctx.target.take();
  const weak = await handshake(base, 'TLSv1.2', `${WEAK_SUITES.join(':')}:@SECLEVEL=0`);
  if (weak !== undefined)
    report(ctx, 'probe/tls-weak-cipher', exchangeAt('/'), {
      message: `Offered only weak TLS 1.2 suites, the target agreed to ${weak.cipher}.`,
      evidence: {
        request: `TLS 1.2 ClientHello offering ${WEAK_SUITES.join(', ')}`,
        response: `handshake completed: ${weak.cipher}`,
      },
      reproduction:
        `curl -sS -o /dev/null -w '%{http_code}\\n' --tlsv1.2 --tls-max 1.2 --ciphers ${weak.cipher} ${ctx.curlTls} '${url}/'`.replace(
          /  +/g,
          ' ',
        ),
    });
}
