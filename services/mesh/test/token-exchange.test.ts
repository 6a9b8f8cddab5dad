import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { PublicProtocol } from 'paseto';
import { VerifyFactory } from 'paseto/v4/public';
import {
  INTERNAL_TOKEN_TYPE,
  TOKEN_EXCHANGE_GRANT_TYPE,
  TokenExchangeError,
  exchangeToken,
  startWorkloadIdentity,
  type WorkloadIdentity,
} from '@rampart/mesh';
import { createInternalTokenVerifier, importInternalTokenKey } from '@rampart/sdk';
import { createTokenKeys, mintInternalToken } from '@rampart/testing';
import { MESH_ID, call, id, signingKeys, startMesh, type MeshFixture } from './helpers.ts';

const constant =
  <T>(value: T) =>
  (): T =>
    value;

const v4 = new PublicProtocol(VerifyFactory);

describe('mesh authority: token exchange (RFC 8693)', () => {
  let fixture: MeshFixture;
  const identities = new Map<string, WorkloadIdentity>();
  const identity = (name: string): WorkloadIdentity => identities.get(name)!;

  before(async () => {
    fixture = await startMesh();
    const bundlePem = await readFile(fixture.mesh.bundleFile, 'utf8');
    for (const name of ['orders', 'payments', 'profiles']) {
      identities.set(
        name,
        await startWorkloadIdentity({
          authorityUrl: fixture.url,
          authoritySpiffeId: MESH_ID,
          bundlePem,
          joinToken: fixture.joinToken(name),
          spiffeId: id(name),
        }),
      );
    }
  });
  after(async () => {
    for (const each of identities.values()) each.stop();
    await fixture.close();
    await fixture.home.cleanup();
  });

  const gatewayToken = (aud: string, options: { expiresIn?: number; now?: Date } = {}) =>
    mintInternalToken(
      fixture.gatewayKeys.secretKey,
      { sub: 'alice', aud, scope: 'orders:write', groups: ['customers'], amr: ['pwd', 'otp'] },
      options,
    );
  const exchange = (caller: string, subjectToken: string, audience: string) =>
    exchangeToken({
      authorityUrl: fixture.url,
      authoritySpiffeId: MESH_ID,
      identity: identity(caller),
      subjectToken,
      audience,
    });

  it('issues a token for the callee, keeping the user and recording the caller in act', async () => {
    const subject = await gatewayToken('orders');
    const { token, expiresAt } = await exchange('orders', subject, 'payments');
    const { claims } = await v4.Verify(await importInternalTokenKey(fixture.keys.publicPem), token);
    assert.equal(claims.aud, 'payments');
    assert.equal(claims.sub, 'alice');
    assert.equal(claims.iss, 'rampart');
    assert.equal(claims['scope'], 'orders:write');
    assert.deepEqual(claims['groups'], ['customers']);
    assert.deepEqual(claims['amr'], ['pwd', 'otp']);
    assert.deepEqual(claims['act'], { sub: 'orders' });
    assert.ok(expiresAt.getTime() <= Date.now() + 60_000 + 1000, 'never outlives the subject token');
    const principal = await createInternalTokenVerifier({
      publicKeys: constant([await importInternalTokenKey(fixture.keys.publicPem)]),
      audience: 'payments',
    }).verify(token);
    assert.equal(principal.actor, 'orders');
    assert.ok(
      fixture.securityEvents().some((e) => e['event'] === 'token.exchanged' && e['peer'] === id('orders')),
    );
  });

  it('nests act over two hops', async () => {
    const first = await exchange('orders', await gatewayToken('orders'), 'payments');
    const second = await exchange('payments', first.token, 'ledger');
    const { claims } = await v4.Verify(await importInternalTokenKey(fixture.keys.publicPem), second.token);
    assert.equal(claims.aud, 'ledger');
    assert.equal(claims.sub, 'alice');
    assert.deepEqual(claims['act'], { sub: 'payments', act: { sub: 'orders' } });
  });

  const refused: [string, () => Promise<{ caller: string; token: string; audience: string }>, string][] = [
    [
      'a caller not among the callee’s callers',
      async () => ({ caller: 'profiles', token: await gatewayToken('profiles'), audience: 'payments' }),
      'invalid_target',
    ],
    [
      'an undeclared audience',
      async () => ({ caller: 'orders', token: await gatewayToken('orders'), audience: 'billing' }),
      'invalid_target',
    ],
    [
      'a subject token addressed to someone else',
      async () => ({ caller: 'orders', token: await gatewayToken('profiles'), audience: 'payments' }),
      'invalid_grant',
    ],
    [
      'a subject token signed by a key the mesh does not trust',
      async () => ({
        caller: 'orders',
        token: await mintInternalToken((await signingKeys()).secretKey, { sub: 'alice', aud: 'orders' }),
        audience: 'payments',
      }),
      'invalid_grant',
    ],
    [
      'an expired subject token',
      async () => ({
        caller: 'orders',
        token: await gatewayToken('orders', { now: new Date(Date.now() - 600_000), expiresIn: 60 }),
        audience: 'payments',
      }),
      'invalid_grant',
    ],
    [
      'a forged signature',
      async () => {
        const forger = await createTokenKeys();
        return {
          caller: 'orders',
          token: await mintInternalToken(forger.privateKey, { sub: 'alice', aud: 'orders' }),
          audience: 'payments',
        };
      },
      'invalid_grant',
    ],
    [
      'a subject token of another issuer',
      async () => ({
        caller: 'orders',
        token: await mintInternalToken(fixture.keys.secretKey, { sub: 'alice', aud: 'orders', iss: 'evil' }),
        audience: 'payments',
      }),
      'invalid_grant',
    ],
    [
      'a subject token living too long',
      async () => ({
        caller: 'orders',
        token: await gatewayToken('orders', { expiresIn: 3600 }),
        audience: 'payments',
      }),
      'invalid_grant',
    ],
    [
      'garbage',
      () => Promise.resolve({ caller: 'orders', token: 'v4.public.garbage', audience: 'payments' }),
      'invalid_grant',
    ],
  ];
  for (const [name, make, error] of refused) {
    it(`refuses ${name} with ${error} and logs it`, async () => {
      const { caller, token, audience } = await make();
      const before = fixture.lines.length;
      await assert.rejects(exchange(caller, token, audience), (thrown: unknown) => {
        assert.ok(thrown instanceof TokenExchangeError);
        assert.equal(thrown.error, error);
        assert.equal(thrown.status, 400);
        return true;
      });
      const event = fixture.securityEvents(before).find((e) => e['event'] === 'token.exchange_refused');
      assert.equal(event?.['reason'], error);
      assert.equal(event['peer'], id(caller));
      const line = fixture
        .events()
        .slice(before)
        .find((e) => e['msg'] === 'token exchange refused');
      assert.ok(line !== undefined && line['level'] === 40 && typeof line['reason'] === 'string');
      assert.ok(!fixture.lines.slice(before).join('\n').includes(token), 'the token is never logged');
    });
  }

  it('answers RFC 6749 errors to malformed requests and to clients without a certificate', async () => {
    const ca = await readFile(fixture.mesh.bundleFile, 'utf8');
    const credentials = identity('orders').current();
    const mtls = { ca, cert: credentials.certPem, key: credentials.keyPem };
    const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
    const valid = {
      grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
      subject_token: await gatewayToken('orders'),
      subject_token_type: INTERNAL_TOKEN_TYPE,
      audience: 'payments',
    };
    const cases: [string, Parameters<typeof call>[2], number, string][] = [
      [
        'no client certificate',
        { ca, body: form(valid), contentType: 'application/x-www-form-urlencoded' },
        401,
        'invalid_client',
      ],
      ['JSON instead of a form', { ...mtls, body: JSON.stringify(valid) }, 400, 'invalid_request'],
      [
        'another grant type',
        {
          ...mtls,
          body: form({ ...valid, grant_type: 'client_credentials' }),
          contentType: 'application/x-www-form-urlencoded',
        },
        400,
        'unsupported_grant_type',
      ],
      [
        'another token type',
        {
          ...mtls,
          body: form({ ...valid, subject_token_type: 'urn:ietf:params:oauth:token-type:jwt' }),
          contentType: 'application/x-www-form-urlencoded',
        },
        400,
        'invalid_request',
      ],
      [
        'a repeated audience',
        { ...mtls, body: `${form(valid)}&audience=ledger`, contentType: 'application/x-www-form-urlencoded' },
        400,
        'invalid_request',
      ],
      [
        'an oversized body',
        {
          ...mtls,
          body: form({ ...valid, subject_token: 'x'.repeat(40_000) }),
          contentType: 'application/x-www-form-urlencoded',
        },
        400,
        'invalid_request',
      ],
    ];
    for (const [name, options, status, error] of cases) {
      const response = await call(fixture, '/v1/token', options);
      assert.equal(response.status, status, `${name}: ${response.text}`);
      assert.deepEqual(response.body, { error }, name);
    }
  });
});
