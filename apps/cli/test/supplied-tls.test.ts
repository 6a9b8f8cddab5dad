import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CertificateAuthority, componentSpiffeId, createWorkloadCsr } from '@rampart/mesh';
import { tempDir } from '@rampart/testing';
import { readSuppliedTls } from '../src/up/supplied-tls.ts';

const TD = 'company.example';

/** A certificate from a CA standing for the operator's own (a public CA, the company's). */
async function issue(ca: CertificateAuthority): Promise<{ certPem: string; keyPem: string }> {
  const spiffeId = componentSpiffeId(TD, 'gateway');
  const { keyPem, csrPem } = await createWorkloadCsr(spiffeId);
  const issued = await ca.issue({ csrPem, spiffeId, ttlMs: 60 * 60 * 1000, ipSans: ['127.0.0.1'] });
  return { certPem: [issued.certPem, ...issued.chainPems].join(''), keyPem };
}

describe('gateway.tls: a certificate the operator supplies, checked before it is served', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let good: { certPem: string; keyPem: string };
  let other: { certPem: string; keyPem: string };
  let expired: { certPem: string; keyPem: string };
  let rootPem: string;

  before(async () => {
    dir = await tempDir('rampart-supplied-tls-');
    const ca = await CertificateAuthority.open(join(dir.path, 'ca'), { trustDomain: TD });
    good = await issue(ca);
    other = await issue(ca);
    rootPem = await ca.bundlePem();
    const past = Date.now() - 3 * 60 * 60 * 1000;
    const oldCa = await CertificateAuthority.open(join(dir.path, 'old-ca'), {
      trustDomain: TD,
      now: () => past,
    });
    expired = await issue(oldCa);
  });
  after(() => dir.cleanup());

  /** Writes a pair (key 0600 unless told) and returns the gateway.tls naming it, relative to dir. */
  function write(
    name: string,
    cert: string,
    key: string,
    keyMode = 0o600,
  ): { certFile: string; keyFile: string } {
    writeFileSync(join(dir.path, `${name}.pem`), cert);
    writeFileSync(join(dir.path, `${name}.key`), key);
    chmodSync(join(dir.path, `${name}.key`), keyMode);
    return { certFile: `${name}.pem`, keyFile: `${name}.key` };
  }

  function refusal(run: () => unknown, pattern: RegExp): void {
    assert.throws(run, (error: unknown) => {
      assert.equal((error as { code?: string }).code, 'SUP_GATEWAY_TLS_INVALID');
      assert.match((error as Error).message, pattern);
      return true;
    });
  }

  it('reads a matching pair valid now, relative to rampart.yaml, with the issuer root when named', () => {
    writeFileSync(join(dir.path, 'root.pem'), rootPem);
    const pair = readSuppliedTls(
      { ...write('good', good.certPem, good.keyPem), caFile: 'root.pem' },
      dir.path,
    );
    assert.equal(pair.certPem, good.certPem);
    assert.equal(pair.keyPem, good.keyPem);
    assert.equal(pair.caPem, rootPem);
  });

  it('refuses a key others may read, naming the file and the chmod', () => {
    refusal(
      () => readSuppliedTls(write('open', good.certPem, good.keyPem, 0o644), dir.path),
      /chmod 600 .*open\.key/u,
    );
    refusal(
      () => readSuppliedTls(write('group', good.certPem, good.keyPem, 0o640), dir.path),
      /others may read it/u,
    );
  });

  it('refuses a key of another certificate, an expired certificate, and files that are not PEM', () => {
    refusal(() => readSuppliedTls(write('mixed', good.certPem, other.keyPem), dir.path), /does not belong/u);
    refusal(() => readSuppliedTls(write('old', expired.certPem, expired.keyPem), dir.path), /expired/u);
    refusal(
      () => readSuppliedTls(write('junk', 'not a certificate', good.keyPem), dir.path),
      /no PEM certificate/u,
    );
    refusal(
      () => readSuppliedTls(write('half', good.certPem, good.keyPem.slice(0, 60)), dir.path),
      /no PEM private key/u,
    );
  });

  it('refuses a missing file, naming which', () => {
    refusal(
      () => readSuppliedTls({ certFile: 'none.pem', keyFile: 'good.key' }, dir.path),
      /certFile .*none\.pem/u,
    );
    refusal(
      () => readSuppliedTls({ certFile: 'good.pem', keyFile: 'none.key' }, dir.path),
      /keyFile .*none\.key.*ENOENT/u,
    );
  });
});
