// `rampart check` and the components agree: every case is fed to the real CLI
// (`node apps/cli/src/main.ts check --json file.yaml`) and to the configuration path of each
// component that reads that part of rampart.yaml, on the raw YAML (no loader in between) — what
// the check refuses, a component refuses; what it accepts (warnings included), every one accepts.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import type { RampartConfig } from '@rampart/config';
import { buildRouteTable, checkTrustedProxies, compileCorsPolicy, gatewaySettings } from '@rampart/gateway';
import { identitySettings, checkClientRules } from '@rampart/identity';

const ROOT = resolve(import.meta.dirname, '../..');
const NODE = join(ROOT, 'node_modules/.bin/node');
const CLI = join(ROOT, 'apps/cli/src/main.ts');

type Client = NonNullable<NonNullable<RampartConfig['identity']>['clients']>[number];

/** A component's own configuration path: it throws for a configuration it refuses. */
const components: Record<string, (config: RampartConfig) => void> = {
  identity: (config) => {
    identitySettings(config);
  },
  // The admin API applies the same client rules to the clients it creates (and refuses warnings).
  'identity admin API': (config) => {
    for (const client of config.identity?.clients ?? []) checkClientRules(adminBody(client));
  },
  // What the gateway builds at start and on every reload (app.ts: buildGateway, applyConfig).
  gateway: (config) => {
    gatewaySettings(config);
    buildRouteTable(config);
    compileCorsPolicy(config.gateway?.cors);
    checkTrustedProxies(config.gateway?.trustedProxies ?? []);
  },
};

function adminBody(client: Client): Parameters<typeof checkClientRules>[0] {
  return {
    clientId: client.id,
    type: client.type,
    grants: client.grants.filter((g) => g !== 'urn:ietf:params:oauth:grant-type:token-exchange'),
    ...(client.redirectUris === undefined ? {} : { redirectUris: client.redirectUris }),
    ...(client.scopes === undefined ? {} : { scopes: client.scopes }),
  };
}

const head = `version: 1
name: shop
`;
const services = (policy = 'readers', method = 'GET', path = '/orders/{id}'): string => `services:
  orders:
    entry: orders.ts
    port: 7102
    callers: [gateway]
    routes:
      - { method: ${method}, path: "${path}", policy: ${policy} }
`;
const clients = (...lines: string[]): string =>
  `  clients:\n    - { id: cli, type: confidential, grants: [client_credentials], scopes: [orders:read] }\n${lines.map((l) => `    - ${l}\n`).join('')}`;
const policies = (extra = ''): string => `policies:\n  readers: { scopes: [orders:read] }\n${extra}`;
const config = (parts: {
  identity?: string;
  gateway?: string;
  policies?: string;
  services?: string;
}): string =>
  `${head}identity:\n${parts.identity ?? ''}${clients()}${parts.gateway === undefined ? '' : `gateway:\n${parts.gateway}`}${parts.policies ?? policies()}${parts.services ?? services()}`;
const withClient = (client: string): string =>
  `${head}identity:\n${clients(client)}${policies()}${services()}`;

interface Case {
  readonly name: string;
  readonly yaml: string;
  /** What check says: an error code, warning codes only, or nothing. */
  readonly check: { readonly error: string } | { readonly warnings: readonly string[] };
  /** The components that refuse it (every other one must accept it). */
  readonly refusedBy: readonly string[];
}

const cases: readonly Case[] = [
  {
    name: 'identity.tokens.accessTokenTtl: 2h',
    yaml: config({ identity: '  tokens: { accessTokenTtl: 2h }\n' }),
    check: { error: 'CFG_INVALID_VALUE' },
    refusedBy: ['identity'],
  },
  {
    name: 'identity.tokens.accessTokenTtl: 30d',
    yaml: config({ identity: '  tokens: { accessTokenTtl: 30d }\n' }),
    check: { error: 'CFG_INVALID_VALUE' },
    refusedBy: ['identity'],
  },
  {
    name: 'identity.tokens.refreshReuseGrace over 60 s',
    yaml: config({ identity: '  tokens: { refreshReuseGrace: 2m }\n' }),
    check: { error: 'CFG_INVALID_VALUE' },
    refusedBy: ['identity'],
  },
  {
    name: 'an idle refresh lifetime longer than the absolute one',
    yaml: config({ identity: '  tokens: { refreshTokenIdleTtl: 15d }\n' }),
    check: { error: 'CFG_INVALID_VALUE' },
    refusedBy: ['identity'],
  },
  {
    name: 'a public client with client_credentials',
    yaml: withClient(
      '{ id: web, type: public, grants: [authorization_code, client_credentials], redirectUris: ["https://a.example/cb"] }',
    ),
    check: { error: 'CFG_INVALID_CLIENT' },
    refusedBy: ['identity', 'identity admin API'],
  },
  {
    name: 'a non-loopback http: redirect URI',
    yaml: withClient(
      '{ id: web, type: public, grants: [authorization_code], redirectUris: ["http://a.example/cb"] }',
    ),
    check: { error: 'CFG_INVALID_CLIENT' },
    refusedBy: ['identity', 'identity admin API'],
  },
  {
    name: 'a wildcard redirect URI',
    yaml: withClient(
      '{ id: web, type: public, grants: [authorization_code], redirectUris: ["https://*.example.com/cb"] }',
    ),
    check: { error: 'CFG_INVALID_CLIENT' },
    refusedBy: ['identity', 'identity admin API'],
  },
  {
    name: 'a Cedar policy set that does not parse',
    yaml: config({
      policies: policies('  owner: { cedar: "permit(principal, action, resource)" }\n'),
      services: services('owner'),
    }),
    check: { error: 'CFG_INVALID_CEDAR' },
    refusedBy: ['gateway'],
  },
  {
    name: 'a Cedar policy naming an attribute its route does not have',
    yaml: config({
      policies: policies(
        '  owner: { cedar: "permit(principal, action, resource) when { resource.userId == principal.sub };" }\n',
      ),
      services: services('owner'),
    }),
    check: { error: 'CFG_INVALID_CEDAR' },
    refusedBy: ['gateway'],
  },
  {
    name: 'an http: issuer without dangerouslyAllowHttpIssuer',
    yaml: config({ identity: '  issuer: http://127.0.0.1:8443/auth\n' }),
    check: { error: 'CFG_INVALID_VALUE' },
    refusedBy: ['gateway'],
  },
  {
    name: 'a trusted proxy the gateway reads as IPv4 with an IPv6 prefix',
    yaml: config({ gateway: '  trustedProxies: ["::ffff:10.0.0.0/104"]\n' }),
    check: { error: 'CFG_INVALID_VALUE' },
    refusedBy: ['gateway'],
  },
  {
    name: 'CORS "*" with credentials',
    yaml: config({ gateway: '  cors: { origins: ["*"], credentials: true }\n' }),
    check: { error: 'CFG_INVALID_VALUE' },
    refusedBy: ['gateway'],
  },
  {
    name: 'trustedProxies: [0.0.0.0/0]',
    yaml: config({ gateway: '  trustedProxies: [0.0.0.0/0]\n' }),
    check: { warnings: ['CFG_TRUSTS_ANY_PROXY'] },
    refusedBy: [],
  },
  {
    name: 'a public: true write route',
    yaml: config({
      policies: policies('  anyone: { public: true }\n'),
      services: services('anyone', 'POST', '/orders'),
    }),
    check: { warnings: ['CFG_PUBLIC_WRITE_ROUTE'] },
    refusedBy: [],
  },
  {
    name: 'an http: issuer on loopback with dangerouslyAllowHttpIssuer',
    yaml: config({ identity: '  issuer: http://127.0.0.1:8443/auth\n  dangerouslyAllowHttpIssuer: true\n' }),
    check: { warnings: ['CFG_HTTP_ISSUER'] },
    refusedBy: [],
  },
  {
    name: 'admin in a client’s scopes',
    yaml: withClient('{ id: ops, type: confidential, grants: [client_credentials], scopes: [admin] }'),
    check: { warnings: ['CFG_RESERVED_SCOPE'] },
    refusedBy: ['identity admin API'],
  },
  {
    name: 'a policy scope no client can be granted',
    yaml: config({
      policies: policies('  writers: { scopes: [orders:write] }\n'),
      services: services('writers', 'POST', '/orders'),
    }),
    check: { warnings: ['CFG_UNGRANTABLE_SCOPE'] },
    refusedBy: [],
  },
  {
    name: 'a Cedar policy that validates for its route',
    yaml: config({
      policies: policies(
        '  owner: { cedar: "permit(principal, action, resource) when { resource.id == principal.sub };" }\n',
      ),
      services: services('owner'),
    }),
    check: { warnings: [] },
    refusedBy: [],
  },
];

interface Report {
  ok: boolean;
  problems: { code: string; severity: 'error' | 'warning'; line: number; column: number; fix?: string }[];
}

async function check(file: string): Promise<{ exit: number; report: Report }> {
  try {
    const { stdout } = await promisify(execFile)(NODE, [CLI, 'check', '--json', file], { cwd: ROOT });
    return { exit: 0, report: JSON.parse(stdout) as Report };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string };
    return { exit: failed.code ?? -1, report: JSON.parse(failed.stdout ?? '{}') as Report };
  }
}

function refuses(component: (config: RampartConfig) => void, config: RampartConfig): boolean {
  try {
    component(config);
    return false;
  } catch {
    return true;
  }
}

/** Runs `task` on every item, at most `limit` at a time (each CLI run is a Node process). */
async function eachLimited<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const at = next++;
      results[at] = await task(items[at] as T);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

const SHOP = join(ROOT, 'examples/shop/rampart.yaml');

describe('rampart check and the components agree', () => {
  let dir = '';
  let checked: { exit: number; report: Report }[] = [];
  let shop: { exit: number; report: Report } | undefined;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rampart-agree-'));
    const files = await Promise.all(
      cases.map(async (c, index) => {
        const file = join(dir, `case-${index}.yaml`);
        await writeFile(file, c.yaml);
        return file;
      }),
    );
    [shop, ...checked] = await eachLimited([SHOP, ...files], 4, check);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const [index, c] of cases.entries()) {
    it(c.name, () => {
      const { exit, report } = checked[index] ?? assert.fail('check did not run');
      const errors = report.problems.filter((p) => p.severity === 'error');
      const warnings = report.problems.filter((p) => p.severity === 'warning').map((p) => p.code);
      if ('error' in c.check) {
        assert.equal(exit, 1, JSON.stringify(report));
        assert.deepEqual(
          errors.map((p) => p.code),
          [c.check.error],
        );
        assert.ok(
          errors.every((p) => p.line > 0 && p.column > 0 && (p.fix ?? '') !== ''),
          'position and fix',
        );
      } else {
        assert.equal(exit, 0, JSON.stringify(report));
        assert.deepEqual(warnings, c.check.warnings);
      }
      const raw = parse(c.yaml) as RampartConfig;
      for (const [name, component] of Object.entries(components)) {
        const expected = c.refusedBy.includes(name);
        assert.equal(refuses(component, raw), expected, `${name} ${expected ? 'accepts' : 'refuses'} it`);
      }
    });
  }

  it('the example shop passes both, without a warning', async () => {
    assert.equal(shop?.exit, 0);
    assert.deepEqual(shop.report.problems, []);
    const raw = parse(await readFile(SHOP, 'utf8')) as RampartConfig;
    for (const [name, component] of Object.entries(components))
      assert.equal(refuses(component, raw), false, name);
  });
});
