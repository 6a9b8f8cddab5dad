import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { describeIfAvailable, startShop, type RunningShop } from '@rampart/testing';

/** Debian's interpreter: python3-authlib, python3-requests and python3-pyotp are its packages. */
const PYTHON = '/usr/bin/python3';
const RELYING_PARTY = join(import.meta.dirname, 'relying_party.py');
const CALLBACK = 'http://127.0.0.1:5173/callback';
const SIGNED_OUT = 'http://127.0.0.1:5173/signed-out';

/** The clients the relying party plays, added to the shop's own. */
const CLIENTS = `    - id: conformance-rp
      type: confidential
      grants: [authorization_code, refresh_token]
      redirectUris: [${CALLBACK}]
      postLogoutRedirectUris: [${SIGNED_OUT}]
      scopes: [openid, profile, email, groups, orders:read]
    - id: conformance-rs256
      type: confidential
      grants: [authorization_code]
      redirectUris: [${CALLBACK}]
      scopes: [openid, profile]
      idTokenSignedResponseAlg: RS256
    - id: conformance-api
      type: confidential
      grants: [client_credentials]
      scopes: [orders:read]
      resourceServer: true
`;

/** Each case of relying_party.py, with what it proves. */
const CASES: readonly (readonly [string, string])[] = [
  [
    'discovery',
    'discovery tells the truth: endpoints below the issuer, RS256 offered and keyed, no anonymous introspection',
  ],
  [
    'code-flow',
    'authorization code + PKCE through the sign-in pages; the ID token verifies; the gateway accepts the access token',
  ],
  ['id-token-sid', 'the ID token carries sid, as claims_supported says'],
  ['userinfo-get', 'GET userinfo with the access token: the granted claims, sub equal to the ID token’s'],
  ['userinfo-post', 'POST userinfo with the access token, the same'],
  [
    'userinfo-scopes',
    'userinfo answers per scope (openid alone: sub alone) and refuses a token not granted openid',
  ],
  [
    'introspection-jwt',
    'introspection of identity’s own JWT access tokens: active, or {"active": false} — never an error',
  ],
  ['authorization-post', 'POST to the authorization endpoint (OIDC Core §3.1.2.1), through the gateway'],
  [
    'pushed-authorization',
    'the advertised pushed authorization request endpoint (RFC 9126) works through the gateway',
  ],
  ['rs256-id-token', 'RS256 ID tokens for a client registered with idTokenSignedResponseAlg: RS256'],
  [
    'error-codes',
    'unauthorized_client for an unregistered grant type; 401 invalid_client without client authentication',
  ],
  [
    'revocation-jwt',
    'revoking a JWT access token: 200, and the gateway refuses it within the revocation feed’s bound',
  ],
  ['logout', 'RP-initiated logout back to the registered post_logout_redirect_uri only, matched exactly'],
];

interface CaseResult {
  readonly case: string;
  readonly ok: boolean;
  readonly detail: string;
}

const required = process.env['RAMPART_REQUIRE_SERVICES'] === '1';
const probe = spawnSync(PYTHON, ['-c', 'import authlib, requests, pyotp'], { stdio: 'ignore' });
const availability =
  probe.status !== 0 && !required
    ? {
        skip: `${PYTHON} with authlib, requests and pyotp is missing (bash .ci/python installs Debian's packages; RAMPART_REQUIRE_SERVICES=1 fails instead)`,
      }
    : { skip: false as const };

/*
 * The whole platform as `rampart up` runs it (gateway + identity + the shop), driven by a relying
 * party written with Authlib — a library that shares nothing with oidc-provider or openid-client —
 * through the gateway, as any application would. See README.md.
 */
describeIfAvailable('OpenID Connect conformance, with an independent client (Authlib)', availability, () => {
  let shop: RunningShop | undefined;
  let results = new Map<string, CaseResult>();
  let output = '';

  before(async () => {
    shop = await startShop({ edit: (yaml) => yaml.replace(/^ {2}clients:\n/m, `  clients:\n${CLIENTS}`) });
    const home = shop.home;
    const secret = (id: string): string => readFileSync(join(home, 'clients', `${id}.secret`), 'utf8').trim();
    const demo = JSON.parse(readFileSync(join(home, 'demo-users.json'), 'utf8')) as {
      users: { username: string; password: string; totpSecret: string }[];
    };
    const gateway = `https://127.0.0.1:${shop.ports.gateway}`;
    const context = {
      issuer: `${gateway}/auth`,
      gateway,
      ca: join(home, 'ca.pem'),
      redirectUri: CALLBACK,
      postLogoutRedirectUri: SIGNED_OUT,
      user: demo.users.find((user) => user.username === 'alice'),
      clients: {
        rp: { id: 'conformance-rp', secret: secret('conformance-rp') },
        rs256: { id: 'conformance-rs256', secret: secret('conformance-rs256') },
        public: { id: 'shop-web' },
        cli: { id: 'shop-cli', secret: secret('shop-cli') },
        api: { id: 'conformance-api', secret: secret('conformance-api') },
      },
    };
    output = await runRelyingParty(JSON.stringify(context));
    results = new Map(
      output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as CaseResult)
        .map((result) => [result.case, result]),
    );
  });
  after(async () => {
    await shop?.stop();
  });

  for (const [name, title] of CASES) {
    it(title, () => {
      const result = results.get(name);
      assert.ok(result !== undefined, `case ${name} did not run; the relying party printed:\n${output}`);
      assert.ok(result.ok, `${name}: ${result.detail}`);
    });
  }
});

/** Runs relying_party.py with the context on stdin; resolves with its output, whatever its exit. */
function runRelyingParty(context: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // A clean environment: no CA bundle or proxy of the host's may change what it trusts.
    const child = spawn(PYTHON, [RELYING_PARTY], {
      env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`relying_party.py did not finish in 150 s; output so far:\n${output}`));
    }, 150_000);
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', () => {
      clearTimeout(timer);
      resolve(output);
    });
    child.stdin.end(context);
  });
}
