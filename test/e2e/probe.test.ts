import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { Agent } from 'undici';
import { FieldCipher, LocalKeyring, openEmbeddedStore } from '@rampart/sdk';
import { fetchWith, startShop, TestBrowser, type RunningShop } from '@rampart/testing';
import { authorization, exchange, SigningKeys, signIn } from '@rampart/identity/testing';
import { runProbeCli, type ProbeRun } from '../probe-target/run-probe-cli.ts';

interface DemoUser {
  readonly username: string;
  readonly password: string;
  readonly totpSecret: string;
}

const ALL_USER_SCOPES =
  'openid profile:read profile:write orders:read orders:write reviews:read reviews:write';

/**
 * `rampart probe` against the example shop under `rampart up`: alice and bob sign in for real
 * (password + TOTP, code + PKCE), shop-cli gets a client-credentials token, and the issuer's
 * signing key is read from identity's store (a test environment's privilege) so the probe can
 * also send expired, exp-less, wrong-audience and wrong-issuer tokens. Rampart must show no flaw.
 */
describe('rampart probe against the shop', () => {
  let shop: RunningShop;
  let run: ProbeRun;

  before(async () => {
    shop = await startShop();
    const agent = new Agent({ connect: { ca: readFileSync(join(shop.home, 'ca.pem'), 'utf8') } });
    const fetchVia = fetchWith(agent);
    const issuer = `https://127.0.0.1:${shop.ports.gateway}/auth`;
    const custom = { [oidc.customFetch]: fetchVia as unknown as oidc.CustomFetch };
    const users = (
      JSON.parse(readFileSync(join(shop.home, 'demo-users.json'), 'utf8')) as { users: DemoUser[] }
    ).users;
    const web = await oidc.discovery(new URL(issuer), 'shop-web', undefined, oidc.None(), custom);
    const tokenOf = async (username: string): Promise<string> => {
      const person = users.find((u) => u.username === username);
      assert.ok(person !== undefined, username);
      const auth = await authorization(web, ALL_USER_SCOPES);
      const done = await signIn(new TestBrowser({ issuer, fetch: fetchVia }), auth, person);
      return (await exchange(web, done.url, auth)).access_token;
    };
    const secret = readFileSync(join(shop.home, 'clients/shop-cli.secret'), 'utf8').trim();
    const cli = await oidc.discovery(
      new URL(issuer),
      'shop-cli',
      undefined,
      oidc.ClientSecretBasic(secret),
      custom,
    );
    const client = await oidc.clientCredentialsGrant(cli, { scope: 'orders:read orders:write reviews:read' });
    const userA = await tokenOf('alice');
    const userB = await tokenOf('bob');
    const store = openEmbeddedStore(join(shop.home, 'identity/identity.sqlite'));
    let signingKey;
    try {
      const cipher = new FieldCipher(
        await LocalKeyring.open(join(shop.home, 'keyring/identity/keyring.json')),
      );
      [signingKey] = await new SigningKeys({ store, cipher, retiredRetentionMs: 0 }).privateJwks();
    } finally {
      await store.close();
    }
    await agent.close();
    const creds = join(shop.dir, 'probe-credentials.json');
    writeFileSync(creds, JSON.stringify({ userA, userB, client: client.access_token, signingKey }), {
      mode: 0o600,
    });
    // The CA beside the config (.rampart/ca.pem) is found by the probe itself.
    run = await runProbeCli(`https://127.0.0.1:${shop.ports.gateway}`, [
      '--config',
      join(shop.dir, 'rampart.yaml'),
      '--credentials',
      creds,
      '--allow-writes',
    ]);
    process.stdout.write(
      `rampart probe against the shop: ${(run.wallMs / 1000).toFixed(1)} s wall (target < 60 s), ` +
        `${run.report.requests} requests, ${run.report.findings.length} findings; not checked: ` +
        `${run.report.skipped.map((s) => `${s.check} (${s.reason})`).join('; ')}\n`,
    );
  });

  after(async () => {
    await shop.stop();
  });

  it('finds nothing: exit 0', () => {
    assert.deepEqual(
      run.report.findings.map(
        (f) => `${f.ruleId} ${f.location.method} ${f.location.url}: ${f.message}\n${f.evidence.response}`,
      ),
      [],
    );
    assert.equal(run.exitCode, 0, run.stderr);
  });

  it('ran the checks that need the two users, the client and the issuer key', () => {
    const skipped = run.report.skipped.map((s) => s.check).join('\n');
    assert.doesNotMatch(
      skipped,
      /forged tokens|expired, no-exp|object-level authorization on GET \/orders\/\{id\}|issuer key set/,
    );
    assert.ok(run.report.requests > 200, `${run.report.requests} requests`);
  });

  it('takes less than 60 s', () => {
    assert.ok(run.wallMs < 60_000, `${run.wallMs} ms`);
  });
});
