import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CertificateAuthority, createWorkloadCsr, peerSpiffeId } from '@rampart/mesh';
import { tempDir } from '@rampart/testing';
import { CONFIG, TD, call, id, startMesh, type MeshFixture, type RawResponse } from './helpers.ts';

const HOUR = 3_600_000;

describe('mesh authority: join and renew', () => {
  let fixture: MeshFixture;
  let ca: string;
  const responses: RawResponse[] = [];
  const send = async (...args: Parameters<typeof call>): Promise<RawResponse> => {
    const response = await call(...args);
    responses.push(response);
    return response;
  };
  const join_ = async (name: string, csrFor = name) => {
    const csr = await createWorkloadCsr(id(csrFor));
    const response = await send(fixture, '/v1/join', {
      ca,
      body: JSON.stringify({ joinToken: fixture.joinToken(name), csr: csr.csrPem }),
    });
    assert.equal(response.status, 201, response.text);
    return { keyPem: csr.keyPem, certPem: response.body['certificate'] as string };
  };

  before(async () => {
    fixture = await startMesh();
    ca = await readFile(fixture.mesh.bundleFile, 'utf8');
  });
  after(async () => {
    await fixture.close();
    await fixture.home.cleanup();
  });

  it('serves health and readiness on the admin port, and bundle.pem as 0644', async () => {
    assert.deepEqual(await (await fetch(`${fixture.adminUrl}/healthz`)).json(), { status: 'live' });
    assert.deepEqual(await (await fetch(`${fixture.adminUrl}/readyz`)).json(), {
      status: 'ready',
      revision: 0,
    });
    assert.equal((await stat(fixture.mesh.bundleFile)).mode & 0o777, 0o644);
    assert.equal(ca, await fixture.bundle());
  });

  it('serves Prometheus metrics on the admin port, labelled by route template', async () => {
    await join_('orders', 'orders');
    const metrics = await (await fetch(`${fixture.adminUrl}/metrics`)).text();
    assert.match(metrics, /^http_requests_total\{[^}]*route="\/v1\/join"[^}]*service="mesh"[^}]*\} 1$/m);
    assert.match(metrics, /^process_resident_memory_bytes\{service="mesh"\} \d+/m);
  });

  it('joins with a token and issues exactly the bound ID, whatever the CSR asks', async () => {
    const { certPem } = await join_('orders', 'payments');
    assert.equal(peerSpiffeId(new X509Certificate(certPem)), id('orders'));
    const issued = fixture
      .events()
      .find((e) => e['msg'] === 'certificate issued' && e['spiffeId'] === id('orders'));
    assert.ok(issued !== undefined && typeof issued['serial'] === 'string');
    const event = fixture
      .securityEvents()
      .find((e) => e['event'] === 'certificate.issued' && e['peer'] === id('orders'));
    assert.equal(event?.['outcome'], 'success');
    assert.equal(event['reason'], 'joined');
    const registered = fixture
      .securityEvents()
      .find((e) => e['event'] === 'mesh.join_token_added' && e['peer'] === id('orders'));
    assert.equal(registered?.['outcome'], 'success', 'the join token’s registration is a security event too');
  });

  const badJoins: [string, () => Promise<string>, number, string][] = [
    ['a wrong token', () => Promise.resolve('not-a-token'), 401, 'MESH_JOIN_TOKEN_INVALID'],
    [
      'a reused token',
      async () => {
        const token = fixture.joinToken('orders');
        const csr = await createWorkloadCsr(id('orders'));
        await send(fixture, '/v1/join', { ca, body: JSON.stringify({ joinToken: token, csr: csr.csrPem }) });
        return token;
      },
      401,
      'MESH_JOIN_TOKEN_INVALID',
    ],
    [
      'an expired token',
      async () => {
        const token = fixture.joinToken('orders', 1);
        await new Promise((resolve) => setTimeout(resolve, 5));
        return token;
      },
      401,
      'MESH_JOIN_TOKEN_INVALID',
    ],
  ];
  for (const [name, token, status, code] of badJoins) {
    it(`refuses a join with ${name} and logs a security event`, async () => {
      const csr = await createWorkloadCsr(id('orders'));
      const before = fixture.lines.length;
      const response = await send(fixture, '/v1/join', {
        ca,
        body: JSON.stringify({ joinToken: await token(), csr: csr.csrPem }),
      });
      assert.equal(response.status, status);
      assert.equal(response.body['code'], code);
      const refused = fixture.securityEvents(before).find((e) => e['event'] === 'mesh.join_refused');
      assert.equal(refused?.['outcome'], 'failure');
      assert.equal(refused['reason'], 'MESH_JOIN_TOKEN_INVALID');
      assert.equal(refused['sourceIp'], '127.0.0.1');
      assert.equal(refused['service'], 'mesh');
      assert.ok(
        fixture
          .events()
          .slice(before)
          .some((e) => e['msg'] === 'join refused' && e['level'] === 40),
      );
    });
  }

  const badBodies: [string, string, number, string][] = [
    ['a CSR that is not one', JSON.stringify({ joinToken: 'T', csr: 'x' }), 400, 'MESH_CSR_INVALID'],
    ['malformed JSON', '{"joinToken":', 400, 'MESH_BAD_REQUEST'],
    ['no CSR', JSON.stringify({ joinToken: 'T' }), 400, 'MESH_BAD_REQUEST'],
    [
      'an oversized body',
      JSON.stringify({ joinToken: 'T', csr: 'x'.repeat(40_000) }),
      413,
      'MESH_PAYLOAD_TOO_LARGE',
    ],
  ];
  for (const [name, body, status, code] of badBodies) {
    it(`answers ${status} ${code} to ${name}`, async () => {
      const response = await send(fixture, '/v1/join', {
        ca,
        body: body.replace('"T"', JSON.stringify(fixture.joinToken('orders'))),
      });
      assert.equal(response.status, status, response.text);
      assert.equal(response.body['code'], code);
      assert.deepEqual(Object.keys(response.body).sort(), ['code', 'requestId', 'status', 'title', 'type']);
    });
  }

  it('answers 404 MESH_NOT_FOUND to an unknown endpoint', async () => {
    const response = await send(fixture, '/v1/nothing', { ca, method: 'GET' });
    assert.equal(response.status, 404);
    assert.equal(response.body['code'], 'MESH_NOT_FOUND');
  });

  it('gives every request a random id: no counter a caller could read or guess', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const response = await send(fixture, '/v1/nothing', { ca, method: 'GET' });
      ids.push(String(response.body['requestId']));
    }
    for (const requestId of ids) {
      assert.match(requestId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    assert.equal(new Set(ids).size, ids.length);
  });

  it('renews over mTLS for the peer ID only', async () => {
    const current = await join_('orders');
    const next = await createWorkloadCsr(id('payments'));
    const response = await send(fixture, '/v1/renew', {
      ca,
      cert: current.certPem,
      key: current.keyPem,
      body: JSON.stringify({ csr: next.csrPem }),
    });
    assert.equal(response.status, 201, response.text);
    assert.equal(peerSpiffeId(new X509Certificate(response.body['certificate'] as string)), id('orders'));
  });

  const badRenewals: [string, () => Promise<{ cert?: string; key?: string }>][] = [
    ['no client certificate', () => Promise.resolve({})],
    [
      'a certificate from another CA',
      async () => {
        const other = await tempDir('rampart-mesh-other-');
        after(() => other.cleanup());
        const foreign = await CertificateAuthority.open(other.path, { trustDomain: TD });
        const csr = await createWorkloadCsr(id('orders'));
        const issued = await foreign.issue({ csrPem: csr.csrPem, spiffeId: id('orders') });
        return { cert: issued.certPem, key: csr.keyPem };
      },
    ],
    [
      'an expired certificate',
      async () => {
        const past = await CertificateAuthority.open(join(fixture.home.path, 'ca'), {
          trustDomain: TD,
          now: () => Date.now() - 2 * HOUR,
        });
        const csr = await createWorkloadCsr(id('orders'));
        const issued = await past.issue({ csrPem: csr.csrPem, spiffeId: id('orders'), ttlMs: HOUR / 12 });
        return { cert: issued.certPem, key: csr.keyPem };
      },
    ],
    [
      'a certificate of a service no longer declared',
      async () => {
        const current = await join_('ledger');
        const services = Object.fromEntries(
          Object.entries(CONFIG.services).filter(([name]) => name !== 'ledger'),
        );
        fixture.mesh.applyConfig(fixture.mesh.revision() + 1, { ...CONFIG, services });
        return { cert: current.certPem, key: current.keyPem };
      },
    ],
  ];
  for (const [name, credentials] of badRenewals) {
    it(`refuses a renewal with ${name} and logs a security event`, async () => {
      const presented = await credentials();
      const csr = await createWorkloadCsr(id('orders'));
      const before = fixture.lines.length;
      const response = await send(fixture, '/v1/renew', {
        ca,
        ...presented,
        body: JSON.stringify({ csr: csr.csrPem }),
      });
      assert.equal(response.status, 401, response.text);
      assert.equal(response.body['code'], 'MESH_PEER_UNAUTHENTICATED');
      const refused = fixture.securityEvents(before).find((e) => e['event'] === 'mesh.renew_refused');
      assert.equal(refused?.['reason'], 'MESH_PEER_UNAUTHENTICATED');
      assert.equal(refused['peer'], undefined, 'an unverified certificate names no peer');
      assert.ok(
        fixture
          .events()
          .slice(before)
          .some((e) => e['msg'] === 'renewal refused' && e['level'] === 40),
      );
    });
  }

  it('never writes the CA key to a response or a log line', async () => {
    const dir = join(fixture.home.path, 'ca');
    const keyFiles = (await readdir(dir)).filter((f) => f.endsWith('.key'));
    assert.ok(keyFiles.length > 0);
    for (const file of keyFiles) {
      assert.equal((await stat(join(dir, file))).mode & 0o777, 0o600);
      const body = (await readFile(join(dir, file), 'utf8')).split('\n').slice(1, -2).join('');
      const everything = [...fixture.lines, ...responses.map((r) => r.text)].join('\n');
      assert.ok(!everything.includes(body.slice(0, 40)));
      assert.ok(!everything.includes('PRIVATE KEY'));
    }
  });
});
