// Principal confusion: a client's own token (client credentials) carried `sub` = its client id, and
// a client id could be any lower-case string — a user's UUID too. A service keying data by subject
// then served that user's data to the client, without the user's credentials or MFA. Subjects of
// the two kinds now live in disjoint namespaces (a user's UUID; `client:<client id>`), the gateway
// refuses any token that blurs them, and identity refuses client ids shaped like user ids (tested in
// services/identity/test/admin/clients.test.ts and packages/config/test/client-ids.test.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { shopYaml, startGatewayFixture, type GatewayFixture } from './shop.ts';

const VICTIM = 'e3b0c442-98fc-4c14-9afb-f4c8996fb924';

/** The `sub` of the internal token the service received (PASETO v4.public: the payload is readable). */
function internalSubject(authorization: string | undefined): string {
  const body = (authorization ?? '').replace(/^Bearer v4\.public\./u, '');
  const bytes = Buffer.from(body, 'base64url');
  const message = bytes.subarray(0, bytes.length - 64).toString('utf8');
  return (JSON.parse(message) as { sub: string }).sub;
}

describe('regression: a client aliasing a user (principal confusion)', () => {
  let gw: GatewayFixture;
  before(async () => {
    gw = await startGatewayFixture({ services: ['orders'], yaml: (ports) => shopYaml(ports) });
  });
  after(async () => {
    await gw.close();
  });

  async function subjectUpstream(claims: Record<string, unknown>): Promise<string> {
    const res = await gw.call('/orders/1', { token: await gw.token({ scope: 'orders:read', ...claims }) });
    assert.equal(res.status, 200, res.body);
    return internalSubject((res.json() as { headers: Record<string, string> }).headers['authorization']);
  }

  it('users reach services as their id, clients as client:<id>: the namespaces never meet', async () => {
    assert.equal(await subjectUpstream({ sub: VICTIM, client_id: 'shop-web' }), VICTIM);
    assert.equal(
      await subjectUpstream({ sub: 'client:billing-job', client_id: 'billing-job' }),
      'client:billing-job',
    );
  });

  const refused: [name: string, claims: Record<string, unknown>][] = [
    [
      'a client named like a user, with its bare id as sub (the aliasing shape)',
      { sub: VICTIM, client_id: VICTIM },
    ],
    [
      'a client named like a user, even in the client namespace',
      { sub: `client:${VICTIM}`, client_id: VICTIM },
    ],
    ['the same with an ordinary client id', { sub: 'shop-cli', client_id: 'shop-cli' }],
    ['a client subject naming another client', { sub: 'client:shop-cli', client_id: 'billing-job' }],
    ['a client subject for a user-shaped id', { sub: `client:${VICTIM}`, client_id: 'shop-web' }],
    ['a malformed client subject', { sub: 'client:Shop CLI', client_id: 'shop-cli' }],
    ['an empty client subject', { sub: 'client:', client_id: 'shop-cli' }],
  ];
  for (const [name, claims] of refused) {
    it(`refuses ${name} (401 GW_TOKEN_INVALID), nothing reaches the service`, async () => {
      const res = await gw.call('/orders/1', { token: await gw.token({ scope: 'orders:read', ...claims }) });
      assert.equal(res.status, 401);
      assert.equal((res.json() as { code: string }).code, 'GW_TOKEN_INVALID');
    });
  }
});
