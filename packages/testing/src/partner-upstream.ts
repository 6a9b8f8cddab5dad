import { writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CertificateAuthority, createWorkloadCsr } from '@rampart/mesh';

/** A CA of a partner outside the mesh (its own root, on disk), and the server certificates it signs. */
export interface PartnerCa {
  /** Its root certificate (PEM), what a gateway pins. */
  readonly pem: string;
  /** Where that PEM is written, `<dir>/<name>-ca.pem`. */
  readonly file: string;
  /** A server certificate for these names; `expired` makes one that ended an hour ago. */
  issue(options: {
    readonly ipSans?: readonly string[];
    readonly dnsSans?: readonly string[];
    readonly expired?: boolean;
  }): Promise<{ readonly key: string; readonly cert: string }>;
}

/**
 * Opens (or creates) a partner's CA under `dir/<name>`, a stand-in for a company or public CA that
 * signs the certificate of an HTTPS upstream outside the mesh.
 *
 * @example
 * const partner = await partnerCa(dir.path, 'partner');
 * const server = await startPartnerServer(await partner.issue({ ipSans: ['127.0.0.1'] }));
 */
export async function partnerCa(dir: string, name: string): Promise<PartnerCa> {
  const trustDomain = `${name}.example`;
  const caDir = join(dir, name);
  const ca = await CertificateAuthority.open(caDir, { trustDomain });
  const pem = await ca.bundlePem();
  const file = join(dir, `${name}-ca.pem`);
  writeFileSync(file, pem);
  return {
    pem,
    file,
    async issue(options) {
      const past = Date.now() - 2 * 60 * 60 * 1000;
      const signer =
        options.expired === true
          ? await CertificateAuthority.open(caDir, { trustDomain, now: () => past })
          : ca;
      const spiffeId = `spiffe://${trustDomain}/api`;
      const { keyPem, csrPem } = await createWorkloadCsr(spiffeId);
      const issued = await signer.issue({
        csrPem,
        spiffeId,
        ttlMs: 5 * 60 * 1000,
        ...(options.ipSans === undefined ? {} : { ipSans: options.ipSans }),
        ...(options.dnsSans === undefined ? {} : { dnsSans: options.dnsSans }),
      });
      return { key: keyPem, cert: [issued.certPem, ...issued.chainPems].join('') };
    },
  };
}

/** One request as the partner's server received it. */
export interface PartnerRequest {
  readonly method: string;
  /** The request target, as received. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  /** The TLS server name the client sent (SNI), or `false` without one. */
  readonly servername: string | false;
}

export interface PartnerServer {
  readonly port: number;
  /** Every request received, in order. */
  readonly received: readonly PartnerRequest[];
  /** TLS handshakes that failed at the server (the client refused the certificate). */
  readonly handshakeFailures: () => number;
  close(): Promise<void>;
}

/**
 * An HTTPS server on 127.0.0.1 standing for a partner's API: it answers every request with 200 and
 * the JSON of what it received (`PartnerRequest`), and `/fail` with a 500 holding a "stack trace".
 */
export async function startPartnerServer(pair: {
  readonly key: string;
  readonly cert: string;
}): Promise<PartnerServer> {
  const received: PartnerRequest[] = [];
  let failures = 0;
  const server = createServer({ key: pair.key, cert: pair.cert, minVersion: 'TLSv1.2' }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: PartnerRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        servername: servernameOf(req.socket),
      };
      received.push(request);
      if (req.url?.endsWith('/fail') === true) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('Error: boom\n    at partner (/srv/partner/internal.js:1:1)');
        return;
      }
      res.writeHead(200, {
        'content-type': 'application/json',
        'set-cookie': 'partner=1; Path=/',
        server: 'partner/1.0',
      });
      res.end(JSON.stringify(request));
    });
  });
  server.on('tlsClientError', () => {
    failures++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    handshakeFailures: () => failures,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** The SNI a TLS socket received, read without asserting its class. */
function servernameOf(socket: object): string | false {
  const name: unknown = (socket as { servername?: unknown }).servername;
  return typeof name === 'string' ? name : false;
}
