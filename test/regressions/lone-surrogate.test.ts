// Ill-formed Unicode in JSON (a lone surrogate, `"\ud800"`): valid JSON, no text. It passed the
// route schema and made `profiles` answer 500 ("plaintext has a lone surrogate" in the field
// cipher). The gateway refuses it at the door with a 400 naming the field; nothing reaches the
// service. (The SDK refuses it too, behind the gateway: packages/sdk/test/http-errors.test.ts.)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startGatewayFixture, upstreamHits, type GatewayFixture } from './shop.ts';
import { yamlHead } from '@rampart/testing';

describe('regression: lone surrogates in JSON strings', () => {
  let gw: GatewayFixture;
  before(async () => {
    gw = await startGatewayFixture({
      services: ['profiles'],
      yaml: (ports) => `${yamlHead(ports)}
policies:
  write: { scopes: [profile:write] }
services:
  profiles:
    entry: profiles.ts
    port: ${ports.services['profiles']}
    callers: [gateway]
    routes:
      - method: PUT
        path: /profiles/me
        policy: write
        schema:
          body:
            type: object
            additionalProperties: false
            properties:
              name: { type: string, maxLength: 200 }
              address: { type: string, maxLength: 500 }
`,
    });
  });
  after(async () => {
    await gw.close();
  });

  const put = async (body: string) =>
    gw.call('/profiles/me', {
      method: 'PUT',
      token: await gw.token({ scope: 'profile:write' }),
      headers: { 'content-type': 'application/json' },
      body,
    });

  for (const [body, pointer] of [
    ['{"name":"Ada\\ud800"}', '/name'],
    ['{"name":"Ada","address":"\\udfff 1 Main St"}', '/address'],
    ['{"name":"\\ud83d"}', '/name'],
  ] as const) {
    it(`${body}: 400 GW_BAD_REQUEST naming ${pointer}, and the service never sees it`, async () => {
      const before = upstreamHits(gw.services.get('profiles')?.hits);
      const res = await put(body);
      assert.equal(res.status, 400);
      assert.equal(res.json()['code'], 'GW_BAD_REQUEST');
      assert.deepEqual(res.json()['errors'], [
        { in: 'body', pointer, message: 'is not well-formed Unicode' },
      ]);
      assert.equal(upstreamHits(gw.services.get('profiles')?.hits), before);
    });
  }

  it('a well-formed name with an emoji (a surrogate pair) goes through', async () => {
    const res = await put('{"name":"Ada \\ud83d\\ude00"}');
    assert.equal(res.status, 200);
  });
});
