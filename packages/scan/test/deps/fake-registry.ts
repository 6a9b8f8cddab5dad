// An independent fake of the npm registry's bulk advisory endpoint (the one `npm audit` asks), on a
// real socket: `POST /-/npm/v1/security/advisories/bulk` with `{ name: [versions] }`, answered with
// the advisories of each asked name that affect one of the asked versions, in npm's shape. Other
// methods get 405 (as registry.npmjs.org answers a GET-only mirror).
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import semver from 'semver';

/** An advisory as npm's bulk endpoint returns it. */
export interface NpmBulkAdvisory {
  readonly id: number;
  readonly url: string;
  readonly title: string;
  readonly severity: 'info' | 'low' | 'moderate' | 'high' | 'critical';
  readonly vulnerable_versions: string;
  readonly cwe: readonly string[];
  readonly cvss: { readonly score: number; readonly vectorString: string | null };
}

export interface FakeRegistry {
  readonly url: string;
  /** The bodies received, parsed. */
  readonly requests: Record<string, string[]>[];
  /** Replaces the handler (for a broken registry: a status, a malformed body, no answer). */
  respondWith(handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined): void;
  close(): Promise<void>;
}

export const NPM_ADVISORIES: Readonly<Record<string, readonly NpmBulkAdvisory[]>> = {
  minimist: [
    {
      id: 1096366,
      url: 'https://github.com/advisories/GHSA-xvch-5gv4-984h',
      title: 'Prototype Pollution in minimist',
      severity: 'critical',
      vulnerable_versions: '<0.2.4 || >=1.0.0 <1.2.6',
      cwe: ['CWE-1321'],
      cvss: { score: 9.8, vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
    },
  ],
  qs: [
    {
      id: 1096470,
      url: 'https://github.com/advisories/GHSA-hrpp-h998-j3pp',
      title: 'qs vulnerable to Prototype Pollution',
      severity: 'high',
      vulnerable_versions: '>=6.7.0 <6.7.3',
      cwe: ['CWE-1321'],
      cvss: { score: 7.5, vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' },
    },
  ],
  express: [
    {
      id: 1096820,
      url: 'https://github.com/advisories/GHSA-rv95-896h-c2vc',
      title: 'Express.js Open Redirect in malformed URLs',
      severity: 'moderate',
      vulnerable_versions: '<4.19.2',
      cwe: ['CWE-601', 'CWE-1286'],
      cvss: { score: 6.1, vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N' },
    },
  ],
  json5: [
    {
      id: 1096543,
      url: 'https://github.com/advisories/GHSA-9c47-m6qq-7p4h',
      title: 'Prototype Pollution in JSON5 via Parse Method',
      severity: 'high',
      vulnerable_versions: '<=1.0.1',
      cwe: ['CWE-1321'],
      cvss: { score: 7.1, vectorString: null },
    },
  ],
};

export async function startFakeRegistry(
  advisories: Readonly<Record<string, readonly NpmBulkAdvisory[]>> = NPM_ADVISORIES,
): Promise<FakeRegistry> {
  const requests: Record<string, string[]>[] = [];
  let override: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server: Server = createServer((req, res) => {
    if (override !== undefined) {
      override(req, res);
      return;
    }
    if (req.method !== 'POST' || req.url !== '/-/npm/v1/security/advisories/bulk') {
      res.writeHead(req.method === 'POST' ? 404 : 405, { allow: 'POST' }).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let asked: Record<string, string[]>;
      try {
        if (!(req.headers['content-type'] ?? '').startsWith('application/json')) throw new Error('type');
        asked = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, string[]>;
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad request"}');
        return;
      }
      requests.push(asked);
      const answer: Record<string, NpmBulkAdvisory[]> = {};
      for (const [name, versions] of Object.entries(asked)) {
        const hits = (advisories[name] ?? []).filter((a) =>
          versions.some((v) => semver.satisfies(v, a.vulnerable_versions)),
        );
        if (hits.length > 0) answer[name] = hits;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respondWith(handler) {
      override = handler;
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
