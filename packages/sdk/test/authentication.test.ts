import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { PublicProtocol } from 'paseto';
import * as v3public from 'paseto/v3/public';
import * as v4public from 'paseto/v4/public';
import { createTokenKeys, mintInternalToken } from '@rampart/testing';
import { bearer, startWidgets, type Harness } from './service-harness.ts';

const v4 = new PublicProtocol(v4public.SignFactory);
const v3 = new PublicProtocol(v3public.GenerateKeyPairFactory, v3public.SignFactory);
const minutesAgo = (minutes: number): Date => new Date(Date.now() - minutes * 60_000);

describe('authentication by internal token', () => {
  let h: Harness;
  before(async () => {
    h = await startWidgets();
  });
  after(() => h.close());

  const get = (headers: Record<string, string> = {}) => h.svc.inject({ url: '/widgets', headers });

  it('accepts a valid token with the scope and exposes a frozen principal', async () => {
    const res = await get(bearer(await h.fixture.token({ sub: 'alice', scope: 'widgets:read other' })));
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { subject: 'alice', frozen: true });
  });

  it('401 SDK_UNAUTHENTICATED without a token, with a Bearer challenge', async () => {
    const res = await get();
    assert.equal(res.statusCode, 401);
    assert.equal(res.json<{ code: string }>().code, 'SDK_UNAUTHENTICATED');
    assert.equal(res.headers['www-authenticate'], 'Bearer realm="rampart"');
  });

  it('401 SDK_UNAUTHENTICATED for another scheme', async () => {
    const res = await get({ authorization: 'Basic YWxpY2U6c2VjcmV0' });
    assert.equal(res.json<{ code: string }>().code, 'SDK_UNAUTHENTICATED');
  });

  it('unknown paths also require a token (no route oracle)', async () => {
    const res = await h.svc.inject('/no-such-route');
    assert.equal(res.statusCode, 401);
  });

  const badTokens: { name: string; token: (h: Harness) => Promise<string> }[] = [
    {
      name: 'signed with another key',
      token: async () => {
        const other = await createTokenKeys();
        return mintInternalToken(other.privateKey, { sub: 'alice', aud: 'widgets', scope: 'widgets:read' });
      },
    },
    {
      name: 'expired',
      token: (h) =>
        h.fixture.token({ sub: 'alice', scope: 'widgets:read' }, { now: minutesAgo(10), expiresIn: 60 }),
    },
    {
      name: 'wrong audience',
      token: (h) => h.fixture.token({ sub: 'alice', aud: 'helper', scope: 'widgets:read' }),
    },
    {
      name: 'audience as a prefix',
      token: (h) => h.fixture.token({ sub: 'alice', aud: 'widget', scope: 'widgets:read' }),
    },
    {
      name: 'wrong issuer',
      token: (h) => h.fixture.token({ sub: 'alice', iss: 'evil', scope: 'widgets:read' }),
    },
    { name: 'lifetime over 5 minutes', token: (h) => h.fixture.token({ sub: 'alice' }, { expiresIn: 3600 }) },
    {
      name: 'no sub',
      token: (h) => v4.Sign(h.fixture.keys.privateKey, { iss: 'rampart', aud: 'widgets' }, { expiresIn: 60 }),
    },
    {
      name: 'no exp',
      token: (h) =>
        v4.Sign(
          h.fixture.keys.privateKey,
          { iss: 'rampart', aud: 'widgets', sub: 'a' },
          { nonExpiring: true },
        ),
    },
    {
      name: 'not yet valid',
      token: (h) =>
        v4.Sign(
          h.fixture.keys.privateKey,
          { iss: 'rampart', aud: 'widgets', sub: 'a', nbf: new Date(Date.now() + 120_000).toISOString() },
          { expiresIn: 240 },
        ),
    },
    {
      name: 'groups not a list of strings',
      token: (h) =>
        v4.Sign(
          h.fixture.keys.privateKey,
          { iss: 'rampart', aud: 'widgets', sub: 'a', groups: [1] },
          { expiresIn: 60 },
        ),
    },
    { name: 'malformed (not base64url)', token: () => Promise.resolve('v4.public.not*base64!') },
    { name: 'truncated', token: async (h) => (await h.fixture.token({ sub: 'alice' })).slice(0, 60) },
    {
      name: 'tampered payload',
      token: async (h) => {
        const token = await h.fixture.token({ sub: 'alice' });
        const at = 'v4.public.'.length + 5;
        return token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
      },
    },
    {
      name: 'a v4.local token',
      token: () => Promise.resolve(`v4.local.${randomBytes(120).toString('base64url')}`),
    },
    {
      name: 'a v3.public token',
      token: async () => {
        const { secretKey } = await v3.GenerateKeyPair();
        return v3.Sign(secretKey, { iss: 'rampart', aud: 'widgets', sub: 'alice' }, { expiresIn: 60 });
      },
    },
    { name: 'a JWT', token: () => Promise.resolve('eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.') },
    { name: 'huge', token: () => Promise.resolve(`v4.public.${'A'.repeat(10_000)}`) },
  ];

  for (const { name, token } of badTokens) {
    it(`401 SDK_TOKEN_INVALID: ${name}`, async () => {
      const res = await get(bearer(await token(h)));
      assert.equal(res.statusCode, 401);
      assert.equal(res.json<{ code: string }>().code, 'SDK_TOKEN_INVALID');
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="rampart", error="invalid_token"');
    });
  }

  it('403 SDK_FORBIDDEN when a required scope is missing', async () => {
    const res = await get(bearer(await h.fixture.token({ sub: 'alice', scope: 'widgets:write' })));
    assert.equal(res.statusCode, 403);
    assert.equal(res.json<{ code: string }>().code, 'SDK_FORBIDDEN');
  });

  /*
   * In-process requests go through the production caller check (requireAllowedPeer) with the peer
   * the test names, exactly as an mTLS peer certificate would name it.
   */
  /** The precise reason of the last denial, as logged (clients only see the code). */
  const lastReason = (): string | undefined =>
    h.logs
      .map((line) => JSON.parse(line) as { msg?: string; reason?: string })
      .findLast((entry) => entry.msg === 'request denied')?.reason;

  it('403 SDK_CALLER_NOT_ALLOWED when the calling workload is not among callers', async () => {
    const token = await h.fixture.token({ sub: 'alice', scope: 'widgets:read', act: { sub: 'helper' } });
    const res = await h.svc.inject({ url: '/widgets', headers: bearer(token) }, { peer: 'helper' });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json<{ code: string }>().code, 'SDK_CALLER_NOT_ALLOWED');
    assert.equal(lastReason(), 'caller "helper" is not in callers');
  });

  it('403 SDK_CALLER_NOT_ALLOWED for an allowed peer presenting a token issued for another hop', async () => {
    const token = await h.fixture.token({ sub: 'alice', scope: 'widgets:read', act: { sub: 'helper' } });
    const res = await h.svc.inject({ url: '/widgets', headers: bearer(token) }, { peer: 'gateway' });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json<{ code: string }>().code, 'SDK_CALLER_NOT_ALLOWED');
    assert.equal(lastReason(), 'token was issued for calls from "helper" but "gateway" presented it');
  });

  it('403 SDK_CALLER_NOT_ALLOWED without a workload certificate, whatever the token says', async () => {
    const token = await h.fixture.token({ sub: 'alice', scope: 'widgets:read' });
    const res = await h.svc.inject({ url: '/widgets', headers: bearer(token) }, { peer: null });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json<{ code: string }>().code, 'SDK_CALLER_NOT_ALLOWED');
    assert.equal(lastReason(), 'no workload certificate of this trust domain');
  });

  it('never logs the token or the authorization header', async () => {
    const token = await h.fixture.token({ sub: 'alice', scope: 'widgets:read' });
    await get(bearer(token));
    await get(bearer(`${token}x`));
    const logs = h.logs.join('');
    assert.ok(!logs.includes(token.slice(20, 60)), 'token found in logs');
  });
});
