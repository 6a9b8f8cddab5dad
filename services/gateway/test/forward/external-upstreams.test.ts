// The forwarder to HTTPS upstreams outside the mesh, against real TLS servers: only the pinned CA
// verifies the upstream (not the system's store), the host or serverName must be in its
// certificate, nothing of the client's credentials or the platform's inside goes out, and the
// path stays under the base.
import assert from 'node:assert/strict';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { isRampartError } from '@rampart/errors';
import {
  partnerCa,
  startPartnerServer,
  tempDir,
  type PartnerCa,
  type PartnerRequest,
  type PartnerServer,
  type TempDir,
} from '@rampart/testing';
import {
  createExternalUpstreams,
  type ExternalRequest,
  type ExternalTarget,
} from '../../src/forward/index.ts';

const CLIENT_HEADERS = {
  accept: 'application/json',
  'content-type': 'application/json',
  authorization: 'Bearer client-access-token',
  cookie: '_session=identity-session',
  dpop: 'eyJ.proof.x',
  'x-rampart-subject': 'forged',
  'x-rampart-token': 'v4.public.internal',
  'x-forwarded-for': '10.0.0.1',
  'x-forwarded-host': 'internal.example',
  forwarded: 'for=10.0.0.1',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  tracestate: 'vendor=secret',
  baggage: 'user=alice',
  'proxy-authorization': 'Basic cHJveHk6cHc=',
  'x-request-id': 'client-chosen',
  'idempotency-key': 'k-1',
  connection: 'keep-alive, x-hop',
  'x-hop': 'hop-by-hop',
  host: 'api.rampart.example',
};

function request(
  upstream: string,
  target: string,
  overrides: Partial<ExternalRequest> = {},
): ExternalRequest {
  return {
    upstream,
    method: 'POST',
    target,
    headers: CLIENT_HEADERS,
    body: Buffer.from('{"amount":5}'),
    requestId: 'req-42',
    ...overrides,
  };
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string; detail: string | undefined }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isRampartError(error), `not a RampartError: ${String(error)}`);
    return { code: error.code, detail: error.detail };
  }
  assert.fail('the request was not refused');
}

describe('external upstreams: TLS pinned to one CA, nothing of the platform sent out', () => {
  let dir: TempDir;
  let partner: PartnerCa;
  let other: PartnerCa;
  let good: PartnerServer;
  let byOther: PartnerServer;
  let expired: PartnerServer;
  let named: PartnerServer;
  const targets = new Map<string, ExternalTarget>();
  const external = createExternalUpstreams({
    targetOf: (name) => targets.get(name),
    timeoutMs: 5_000,
    breaker: { failures: 3, coolDownMs: 60_000 },
  });

  before(async () => {
    dir = await tempDir('rampart-external-');
    partner = await partnerCa(dir.path, 'partner');
    other = await partnerCa(dir.path, 'other');
    good = await startPartnerServer(await partner.issue({ ipSans: ['127.0.0.1'] }));
    byOther = await startPartnerServer(await other.issue({ ipSans: ['127.0.0.1'] }));
    expired = await startPartnerServer(await partner.issue({ ipSans: ['127.0.0.1'], expired: true }));
    named = await startPartnerServer(await partner.issue({ dnsSans: ['api.partner.test'] }));
    const at = (server: PartnerServer, extra: Partial<ExternalTarget> = {}): ExternalTarget => ({
      origin: `https://127.0.0.1:${server.port}`,
      basePath: '/base/v1',
      ca: partner.pem,
      ...extra,
    });
    targets.set('good', at(good));
    targets.set('root', at(good, { basePath: '' }));
    targets.set('other-ca', at(byOther));
    targets.set('expired', at(expired));
    targets.set('mismatch', at(named));
    targets.set('named', at(named, { serverName: 'api.partner.test' }));
    targets.set('wrong-name', at(good, { serverName: 'api.partner.test' }));
    targets.set('breaker', at(byOther));
  });
  after(async () => {
    await external.close();
    await Promise.all([good, byOther, expired, named].map((server) => server.close()));
    await dir.cleanup();
  });

  it('forwards over TLS verified against the pinned CA, the path under the base, the body as sent', async () => {
    const answer = await external.forward(request('good', '/partner/quotes/7?fx=EUR&n=2'));
    assert.equal(answer.status, 200);
    const seen = JSON.parse(answer.body.toString('utf8')) as PartnerRequest;
    assert.equal(seen.method, 'POST');
    assert.equal(seen.url, '/base/v1/partner/quotes/7?fx=EUR&n=2');
    assert.equal(seen.body, '{"amount":5}');
    // The upstream's own authority, never the client's Host.
    assert.equal(seen.headers['host'], `127.0.0.1:${good.port}`);
    const root = await external.forward(request('root', '/quotes'));
    assert.equal((JSON.parse(root.body.toString('utf8')) as PartnerRequest).url, '/quotes');
  });

  it('sends no credential, no x-rampart-* or forwarding field, no trace context, no hop-by-hop field', async () => {
    const answer = await external.forward(request('good', '/headers'));
    const { headers } = JSON.parse(answer.body.toString('utf8')) as PartnerRequest;
    for (const name of [
      'authorization',
      'cookie',
      'dpop',
      'proxy-authorization',
      'x-rampart-subject',
      'x-rampart-token',
      'x-forwarded-for',
      'x-forwarded-host',
      'x-forwarded-proto',
      'forwarded',
      'traceparent',
      'tracestate',
      'baggage',
      'x-hop',
    ]) {
      assert.equal(headers[name], undefined, `${name} reached the upstream`);
    }
    assert.ok(!Object.keys(headers).some((name) => name.startsWith('x-rampart-')));
    assert.ok(!JSON.stringify(headers).includes('client-access-token'));
    assert.ok(!JSON.stringify(headers).includes('v4.public'));
    // What it does get: the client's own negotiation fields and the gateway's request id.
    assert.equal(headers['accept'], 'application/json');
    assert.equal(headers['idempotency-key'], 'k-1');
    assert.equal(headers['x-request-id'], 'req-42');
  });

  const refused: { name: string; upstream: string; reason: RegExp }[] = [
    {
      name: 'a certificate of another CA',
      upstream: 'other-ca',
      reason: /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER/,
    },
    { name: 'an expired certificate', upstream: 'expired', reason: /CERT_HAS_EXPIRED/ },
    {
      name: 'a certificate naming another host',
      upstream: 'mismatch',
      reason: /ERR_TLS_CERT_ALTNAME_INVALID/,
    },
    {
      name: 'a serverName the certificate does not carry',
      upstream: 'wrong-name',
      reason: /ERR_TLS_CERT_ALTNAME_INVALID/,
    },
  ];
  for (const c of refused) {
    it(`refuses ${c.name} with GW_UPSTREAM_TLS before sending anything`, async () => {
      const server =
        c.upstream === 'other-ca'
          ? byOther
          : c.upstream === 'expired'
            ? expired
            : c.upstream === 'mismatch'
              ? named
              : good;
      const before = server.received.length;
      const { code, detail } = await refusal(external.forward(request(c.upstream, '/secret')));
      assert.equal(code, 'GW_UPSTREAM_TLS');
      assert.match(detail ?? '', c.reason);
      assert.match(detail ?? '', new RegExp(`^external ${c.upstream} \\(https://127\\.0\\.0\\.1:\\d+`));
      assert.ok(!(detail ?? '').includes('\n    at '), 'a stack trace in the detail');
      assert.equal(server.received.length, before, 'the upstream received the request');
    });
  }

  it('sends serverName as SNI and checks it in the certificate', async () => {
    const answer = await external.forward(request('named', '/sni'));
    assert.equal(answer.status, 200);
    assert.equal((JSON.parse(answer.body.toString('utf8')) as PartnerRequest).servername, 'api.partner.test');
  });

  it('never trusts the system store: a CA trusted by default still does not verify the upstream', async () => {
    const defaults = getCACertificates('default');
    setDefaultCACertificates([...defaults, other.pem]);
    try {
      const fresh = createExternalUpstreams({
        targetOf: (name) => (name === 'x' ? targets.get('other-ca') : undefined),
      });
      try {
        assert.equal((await refusal(fresh.forward(request('x', '/')))).code, 'GW_UPSTREAM_TLS');
      } finally {
        await fresh.close();
      }
    } finally {
      setDefaultCACertificates(defaults);
    }
  });

  it('verifies with a new CA as soon as the target names it (a renewed CA file)', async () => {
    let ca = other.pem;
    const switching = createExternalUpstreams({
      targetOf: () => ({ origin: `https://127.0.0.1:${good.port}`, basePath: '', ca }),
    });
    try {
      assert.equal((await refusal(switching.forward(request('s', '/')))).code, 'GW_UPSTREAM_TLS');
      ca = partner.pem;
      assert.equal((await switching.forward(request('s', '/'))).status, 200);
    } finally {
      await switching.close();
    }
  });

  it('counts TLS failures in the breaker: then fails fast without a handshake', async () => {
    for (let i = 0; i < 3; i++) {
      assert.equal((await refusal(external.forward(request('breaker', '/')))).code, 'GW_UPSTREAM_TLS');
    }
    const handshakes = byOther.handshakeFailures();
    const { code, detail } = await refusal(external.forward(request('breaker', '/')));
    assert.equal(code, 'GW_UPSTREAM_UNAVAILABLE');
    assert.match(detail ?? '', /circuit open for external breaker/);
    assert.equal(byOther.handshakeFailures(), handshakes);
  });

  it('refuses a target that would climb out of the base, before connecting', async () => {
    const before = good.received.length;
    for (const target of ['/a/../../etc', '/a/%2e%2e/x', '/%2E%2e/x', '/a/./b', '/a%2fb']) {
      await assert.rejects(external.forward(request('good', target)), TypeError, target);
    }
    assert.equal(good.received.length, before);
  });

  it('is a TypeError for a name that is not an external upstream', async () => {
    await assert.rejects(external.forward(request('nobody', '/')), /no external upstream 'nobody'/);
  });
});
