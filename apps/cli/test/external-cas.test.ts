// The pinned CA of an external upstream, as `rampart check` and `rampart up` read it: a CA
// certificate valid now, or a refusal naming the upstream and the file; installed into the
// gateway's directory; and the check's summary marks external upstreams outside the mesh.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { parseConfig, type RampartConfig } from '@rampart/config';
import { isRampartError } from '@rampart/errors';
import { partnerCa, tempDir, type PartnerCa, type TempDir } from '@rampart/testing';
import { checkCommand } from '../src/check-command.ts';
import { installExternalCas, readExternalCas } from '../src/up/external-cas.ts';

const yaml = (ca: string): string => `version: 1
name: shop
policies: { read: {} }
services:
  orders:
    entry: orders.ts
    port: 7102
    callers: [gateway]
    routes: [{ method: GET, path: /orders, policy: read }]
external:
  partner:
    url: https://partner.example.com:8443/api
    ca: ${ca}
    routes:
      - { method: GET, path: /partner/quotes, policy: read }
      - { method: POST, path: /partner/orders, policy: read }
`;

function configWith(ca: string): RampartConfig {
  const result = parseConfig(yaml(ca), 'rampart.yaml');
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.config;
}

async function check(argv: string[]): Promise<{ code: number; stdout: string }> {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  const code = await checkCommand(argv, { stdout, stderr: new PassThrough(), color: false });
  return { code, stdout: Buffer.concat(chunks).toString('utf8') };
}

describe('the pinned CA of an external upstream', () => {
  let dir: TempDir;
  let partner: PartnerCa;
  let leafPem: string;
  let keyPem: string;

  before(async () => {
    dir = await tempDir('rampart-external-ca-');
    partner = await partnerCa(dir.path, 'partner');
    const leaf = await partner.issue({ dnsSans: ['partner.example.com'] });
    leafPem = leaf.cert.split(/(?<=-----END CERTIFICATE-----\n)/)[0] ?? '';
    keyPem = leaf.key;
  });
  after(async () => {
    await dir.cleanup();
  });

  it('reads a CA certificate, relative to the directory of rampart.yaml', () => {
    const cas = readExternalCas(configWith('partner-ca.pem'), dir.path);
    assert.equal(cas.get('partner'), partner.pem);
  });

  // Expiry is checked on the clock: the CA's root is valid for years from now.
  const refusals: { name: string; content?: string; file?: string; now?: number; reason: RegExp }[] = [
    { name: 'a missing file', file: 'nowhere.pem', reason: /cannot be read \(ENOENT\)/ },
    { name: 'a file without PEM', content: 'not a certificate', reason: /holds no PEM certificate/ },
    { name: 'a private key beside the CA', content: '', reason: /not certificates \(a key\?\)/ },
    { name: 'a server certificate, not a CA', content: 'leaf', reason: /is not a CA certificate/ },
    {
      name: 'a CA that has expired',
      file: 'partner-ca.pem',
      now: Date.now() + 20 * 366 * 86_400_000,
      reason: /expired on/,
    },
    {
      name: 'a CA not valid yet',
      file: 'partner-ca.pem',
      now: Date.now() - 86_400_000,
      reason: /not valid before/,
    },
  ];
  for (const c of refusals) {
    it(`refuses ${c.name} (SUP_EXTERNAL_CA_INVALID), naming the upstream and the file`, () => {
      let file = c.file ?? `case-${c.name.replaceAll(' ', '-')}.pem`;
      if (c.file === undefined) {
        const content =
          c.content === 'leaf' ? leafPem : c.content === '' ? `${partner.pem}${keyPem}` : (c.content ?? '');
        writeFileSync(join(dir.path, file), content);
      }
      file = join(dir.path, file);
      try {
        readExternalCas(configWith(file), dir.path, c.now);
        assert.fail('accepted');
      } catch (error) {
        assert.ok(isRampartError(error));
        assert.equal(error.code, 'SUP_EXTERNAL_CA_INVALID');
        assert.match(
          error.detail ?? '',
          new RegExp(`^external\\.partner\\.ca \\(${file.replaceAll('.', '\\.')}\\): `),
        );
        assert.match(error.detail ?? '', c.reason);
      }
    });
  }

  it('installs the CAs into the gateway directory and removes those of upstreams gone', async () => {
    const target = await tempDir('rampart-external-ca-dir-');
    try {
      writeFileSync(join(target.path, 'gone.pem'), 'old');
      installExternalCas(new Map([['partner', partner.pem]]), target.path, null);
      assert.equal(readFileSync(join(target.path, 'partner.pem'), 'utf8'), partner.pem);
      assert.equal(existsSync(join(target.path, 'gone.pem')), false);
    } finally {
      await target.cleanup();
    }
  });

  it('rampart check marks the external upstream and its routes outside the mesh', async () => {
    const file = join(dir.path, 'rampart.yaml');
    writeFileSync(file, yaml('partner-ca.pem'));
    const { code, stdout } = await check([file]);
    assert.equal(code, 0, stdout);
    assert.match(
      stdout,
      /outside the mesh: external `partner` → https:\/\/partner\.example\.com:8443\/api \(TLS pinned to partner-ca\.pem; no token or client credential forwarded\): GET \/partner\/quotes, POST \/partner\/orders/,
    );
    assert.match(
      stdout,
      /is valid \(1 service, 1 external upstream outside the mesh, 3 routes \(2 outside the mesh\)\)/,
    );
    const json = JSON.parse((await check([file, '--json'])).stdout) as { outsideMesh: unknown };
    assert.deepEqual(json.outsideMesh, [
      {
        name: 'partner',
        url: 'https://partner.example.com:8443/api',
        ca: 'partner-ca.pem',
        routes: ['GET /partner/quotes', 'POST /partner/orders'],
      },
    ]);
  });

  it('rampart check refuses a CA file it could not pin', async () => {
    const file = join(dir.path, 'rampart-bad.yaml');
    writeFileSync(file, yaml('missing-ca.pem'));
    const { code, stdout } = await check([file]);
    assert.equal(code, 1);
    assert.match(stdout, /SUP_EXTERNAL_CA_INVALID/);
    assert.match(stdout, /external\.partner\.ca \(.*missing-ca\.pem\): it cannot be read \(ENOENT\)/);
  });
});
