import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  clientRuleProblems,
  parseConfig,
  parseTrustedProxy,
  redirectUriProblem,
  tokenLifetimes,
} from '@rampart/config';
import { BASE, edit } from './helpers.ts';

/** The code, position and severity of each problem of a text. */
const found = (text: string): string[] =>
  parseConfig(text, 'rampart.yaml').problems.map((p) => `${p.line}:${p.column} ${p.severity} ${p.code}`);

const withIdentity = (identity: string): string => `${BASE}identity:\n${identity}`;
const client = (fields: string): string => `  clients:\n    - { id: app, ${fields} }\n`;

const cases: [name: string, text: string, expected: string[]][] = [
  [
    'accessTokenTtl 2h',
    withIdentity('  tokens: { accessTokenTtl: 2h }\n'),
    ['15:29 error CFG_INVALID_VALUE'],
  ],
  [
    'accessTokenTtl 30d',
    withIdentity('  tokens: { accessTokenTtl: 30d }\n'),
    ['15:29 error CFG_INVALID_VALUE'],
  ],
  [
    'accessTokenTtl 1m',
    withIdentity('  tokens: { accessTokenTtl: 1m }\n'),
    ['15:29 error CFG_INVALID_VALUE'],
  ],
  ['accessTokenTtl 15m', withIdentity('  tokens: { accessTokenTtl: 15m }\n'), []],
  [
    'refreshReuseGrace 61s',
    withIdentity('  tokens: { refreshReuseGrace: 61s }\n'),
    ['15:32 error CFG_INVALID_VALUE'],
  ],
  [
    'refreshReuseGrace 2m',
    withIdentity('  tokens: { refreshReuseGrace: 2m }\n'),
    ['15:32 error CFG_INVALID_VALUE'],
  ],
  ['refreshReuseGrace 60s', withIdentity('  tokens: { refreshReuseGrace: 60s }\n'), []],
  [
    'an idle refresh lifetime beyond the default absolute one',
    withIdentity('  tokens: { refreshTokenIdleTtl: 15d }\n'),
    ['15:34 error CFG_INVALID_VALUE'],
  ],
  [
    'a public client with client_credentials',
    withIdentity(
      client(
        'type: public, grants: [authorization_code, client_credentials], redirectUris: ["https://a.example/cb"]',
      ),
    ),
    ['16:61 error CFG_INVALID_CLIENT'],
  ],
  [
    'a client id shaped like a user id (a UUID)',
    withIdentity(
      '  clients:\n    - { id: e3b0c442-98fc-4c14-9afb-f4c8996fb924, type: confidential, grants: [client_credentials] }\n',
    ),
    ['16:13 error CFG_INVALID_CLIENT'],
  ],
  [
    'a public client without authorization_code',
    withIdentity(client('type: public, grants: [refresh_token]')),
    ['16:40 error CFG_INVALID_CLIENT', '16:41 error CFG_INVALID_CLIENT'],
  ],
  [
    'a non-loopback http redirect URI',
    withIdentity(client('type: public, grants: [authorization_code], redirectUris: ["http://a.example/cb"]')),
    ['16:77 error CFG_INVALID_CLIENT'],
  ],
  [
    'http on localhost (not an IP literal)',
    withIdentity(
      client('type: public, grants: [authorization_code], redirectUris: ["http://localhost:5173/cb"]'),
    ),
    ['16:77 error CFG_INVALID_CLIENT'],
  ],
  [
    'a wildcard redirect URI',
    withIdentity(
      client('type: public, grants: [authorization_code], redirectUris: ["https://*.example.com/cb"]'),
    ),
    ['16:77 error CFG_INVALID_CLIENT'],
  ],
  [
    'a redirect URI not in normalized form',
    withIdentity(
      client('type: public, grants: [authorization_code], redirectUris: ["https://A.example/cb"]'),
    ),
    ['16:77 error CFG_INVALID_CLIENT'],
  ],
  [
    'authorization_code without redirect URIs',
    withIdentity(client('type: public, grants: [authorization_code]')),
    ['16:7 error CFG_INVALID_CLIENT'],
  ],
  [
    'a wildcard post-logout redirect URI',
    withIdentity(
      client(
        'type: public, grants: [authorization_code], redirectUris: ["https://a.example/cb"], postLogoutRedirectUris: ["https://*.example/bye"]',
      ),
    ),
    ['16:127 error CFG_INVALID_CLIENT'],
  ],
  [
    'a loopback http redirect URI',
    withIdentity(
      client('type: public, grants: [authorization_code], redirectUris: ["http://127.0.0.1:5173/cb"]'),
    ),
    [],
  ],
  [
    'admin among the scopes (a warning)',
    withIdentity(client('type: confidential, grants: [client_credentials], scopes: [orders:read, admin]')),
    ['16:90 warning CFG_RESERVED_SCOPE'],
  ],
  [
    'an http issuer without the switch',
    withIdentity('  issuer: http://127.0.0.1:8443/auth\n'),
    ['15:11 error CFG_INVALID_VALUE'],
  ],
  [
    'an http issuer off loopback, even with the switch',
    withIdentity('  issuer: http://idp.example/auth\n  dangerouslyAllowHttpIssuer: true\n'),
    ['15:11 error CFG_INVALID_VALUE'],
  ],
  [
    'an http issuer on loopback with the switch (a warning)',
    withIdentity('  issuer: http://127.0.0.1:8443/auth\n  dangerouslyAllowHttpIssuer: true\n'),
    ['15:11 warning CFG_HTTP_ISSUER'],
  ],
  [
    'storage.nats over tls:// (the workload certificates authenticate each publisher)',
    `${BASE}storage:\n  nats: { url: "tls://127.0.0.1:4222" }\n`,
    [],
  ],
  [
    "storage.nats over plain nats:// (anyone could publish in any component's name)",
    `${BASE}storage:\n  nats: { url: "nats://127.0.0.1:4222" }\n`,
    ['15:16 error CFG_NATS_UNAUTHENTICATED'],
  ],
  [
    'storage.nats over nats:// with dangerouslyAllowUnauthenticated (a warning)',
    `${BASE}storage:\n  nats: { url: "nats://127.0.0.1:4222", dangerouslyAllowUnauthenticated: true }\n`,
    ['15:16 warning CFG_NATS_UNAUTHENTICATED'],
  ],
  [
    'storage.nats with a user and password in the URL',
    `${BASE}storage:\n  nats: { url: "tls://me:secret@127.0.0.1:4222" }\n`,
    ['15:16 error CFG_INLINE_SECRET', '15:16 error CFG_INVALID_VALUE'],
  ],
  [
    'a cedar policy set that does not parse',
    edit(['  signed-in: {}', '  signed-in: { cedar: "permit(principal, action, resource)" }']),
    ['4:23 error CFG_INVALID_CEDAR'],
  ],
  [
    'a cedar policy naming an attribute the route does not have',
    edit([
      '  signed-in: {}',
      '  signed-in: { cedar: "permit(principal, action, resource) when { resource.userId == principal.sub };" }',
    ]),
    ['13:17 error CFG_INVALID_CEDAR'],
  ],
  [
    'a route parameter {service} under a cedar policy',
    edit(
      ['  signed-in: {}', '  signed-in: { cedar: "permit(principal, action, resource);" }'],
      ['path: /orders', 'path: /orders/{service}'],
    ),
    ['13:17 error CFG_INVALID_CEDAR'],
  ],
  [
    'a cedar policy that validates',
    edit([
      '  signed-in: {}',
      '  signed-in: { cedar: "permit(principal, action, resource) when { principal.scopes.contains(\\"orders:read\\") };" }',
    ]),
    [],
  ],
  [
    'trustedProxies 0.0.0.0/0 (a warning)',
    `${BASE}gateway:\n  trustedProxies: [0.0.0.0/0]\n`,
    ['15:20 warning CFG_TRUSTS_ANY_PROXY'],
  ],
  [
    'trustedProxies ::/0 (a warning)',
    `${BASE}gateway:\n  trustedProxies: ["::/0"]\n`,
    ['15:20 warning CFG_TRUSTS_ANY_PROXY'],
  ],
  ['listen on loopback, IPv4 and IPv6', `${BASE}gateway:\n  listen: [127.0.0.1, "::1"]\n`, []],
  [
    'listen on a host name (it would bind whatever the name resolves to)',
    `${BASE}gateway:\n  listen: [localhost]\n`,
    ['15:12 error CFG_INVALID_VALUE'],
  ],
  [
    'listen on every interface with the local edge CA (a warning)',
    `${BASE}gateway:\n  listen: [0.0.0.0, "::"]\n`,
    ['15:11 warning CFG_EDGE_LOCAL_CA'],
  ],
  [
    'listen on every interface with the operator’s certificate',
    `${BASE}gateway:\n  listen: [0.0.0.0]\n  tls: { certFile: edge.pem, keyFile: edge.key }\n`,
    [],
  ],
  [
    'tls without its key (schema)',
    `${BASE}gateway:\n  tls: { certFile: edge.pem }\n`,
    ['15:8 error CFG_MISSING_KEY'],
  ],
  [
    'an IPv4-mapped address with an IPv6 prefix (the gateway reads it as IPv4)',
    `${BASE}gateway:\n  trustedProxies: ["::ffff:10.0.0.0/104"]\n`,
    ['15:20 error CFG_INVALID_VALUE'],
  ],
  [
    'a public POST route (a warning)',
    edit(['  signed-in: {}', '  signed-in: { public: true }'], ['method: GET', 'method: POST']),
    ['13:17 warning CFG_PUBLIC_WRITE_ROUTE'],
  ],
  ['a public GET route', edit(['  signed-in: {}', '  signed-in: { public: true }']), []],
  [
    'a policy scope no client can be granted (a warning)',
    edit(['  signed-in: {}', '  signed-in: { scopes: [orders:read] }']),
    ['4:25 warning CFG_UNGRANTABLE_SCOPE'],
  ],
  [
    'a policy scope a client can be granted',
    `${edit(['  signed-in: {}', '  signed-in: { scopes: [orders:read] }'])}identity:\n${client('type: confidential, grants: [client_credentials], scopes: [orders:read]')}`,
    [],
  ],
];

describe('the rules components apply, in rampart check', () => {
  for (const [name, text, expected] of cases) {
    it(name, () => {
      assert.deepEqual(found(text), expected);
    });
  }
});

describe('the shared rule modules', () => {
  it('token lifetimes come back with defaults applied', () => {
    assert.deepEqual(tokenLifetimes().lifetimes, {
      accessTokenTtlSeconds: 600,
      refreshTokenIdleTtlSeconds: 86_400,
      refreshTokenAbsoluteTtlSeconds: 1_209_600,
      refreshReuseGraceSeconds: 0,
    });
  });

  it('client rules name the field and the index', () => {
    const [problem] = clientRuleProblems({
      id: 'spa',
      type: 'public',
      grants: ['authorization_code', 'client_credentials'],
      redirectUris: ['https://a.example/cb'],
    });
    assert.deepEqual([problem?.field, problem?.index, problem?.severity], ['grants', 1, 'error']);
    assert.equal(redirectUriProblem('https://a.example/cb'), undefined);
    assert.match(redirectUriProblem('https://a.example/cb#x')?.message ?? '', /fragment/u);
  });

  it('trusted proxies are read as the gateway reads them', () => {
    assert.deepEqual(parseTrustedProxy('::FFFF:10.0.0.1'), {
      address: '10.0.0.1',
      family: 'ipv4',
      bits: undefined,
    });
    assert.deepEqual(parseTrustedProxy('FD00::/8'), { address: 'fd00::', family: 'ipv6', bits: 8 });
    for (const bad of ['10.0.0.0/33', '10.0.0.0/8/8', '10.0.0.0/', 'ten', '10.0.0.0/08x'])
      assert.equal(parseTrustedProxy(bad), undefined, bad);
  });
});
