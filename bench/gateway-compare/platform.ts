// Rampart under the real CLI for bench/gateway-compare.ts: the shop's rampart.yaml (via startShop,
// as bench/gateway.ts) with its policies and services replaced by one bench service
// (./upstream/main.ts) and two gateway routes to the same handler — the full pipeline and a
// public (plain proxy) route — and the credentials nginx and HAProxy need to reach that service
// exactly as the gateway does.
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, parseConfig } from '@rampart/config';
import { componentSpiffeId } from '@rampart/mesh';
import { MAX_TOKEN_LIFETIME_SECONDS } from '@rampart/sdk';
import { childPids, startShop, SHOP_TRUST_DOMAIN, type RunningShop } from '@rampart/testing';
import { SCOPE } from './issuer.ts';
import { processTree } from './procfs.ts';

/** The bench service's name in rampart.yaml: the `aud` of its internal tokens. */
export const SERVICE = 'bench';
/** The full pipeline's route: the Cedar rule compares `{userId}` with the token's subject. */
export const fullPath = (user: string): string => `/users/${user}/items`;
/** The public route (no token, `rateLimit: off`, no Cedar) to the same handler. */
export const plainPath = (user: string): string => `/public/users/${user}/items`;

const CEDAR = `permit(principal, action == Action::"GET", resource)
        when { resource.userId == principal.sub };`;

function benchSections(upstreamPort: string): string {
  const entry = join(import.meta.dirname, 'upstream/main.ts');
  return `policies:
  bench-full:
    scopes: [${SCOPE}]
    cedar: |
      ${CEDAR}
  bench-public: { public: true }

services:
  ${SERVICE}:
    entry: ${entry}
    port: ${upstreamPort}
    callers: [gateway]
    routes:
      - method: GET
        path: /users/{userId}/items
        policy: bench-full
        # Counted per IP and per user (the default) like any limit, but never reached: every request
        # of the run comes from 127.0.0.1, so the IP counter sees them all.
        rateLimit: { points: 1000000000, window: 1m }
      - method: GET
        path: /public/users/{userId}/items
        policy: bench-public
        # A plain proxy: the default limits (per IP) would refuse the run after 500 requests.
        rateLimit: off
`;
}

/**
 * `gateway.workers` as the config asked for it (`auto` = one per core, or a count), or
 * `unsupported` when the config schema does not know the key (the gateway then runs one thread).
 */
export type Workers = string;

/** The shop's rampart.yaml, edited for the bench; `gateway.workers` when the schema accepts it. */
function benchConfig(yaml: string, issuer: string, workers: string): { yaml: string; workers: Workers } {
  // startShop gave the orders service a free port; the bench service takes it over.
  const port = /^ {2}orders:\n {4}entry: .*\n {4}port: (\d+)$/m.exec(yaml)?.[1];
  if (port === undefined) throw new Error("no port for orders in the shop's rampart.yaml");
  const base = yaml
    .replace(/^identity:\n/m, `identity:\n  issuer: ${issuer}\n  dangerouslyAllowHttpIssuer: true\n`)
    .replace(/^policies:\n[\s\S]*$/m, benchSections(port));
  const withWorkers = base.replace(/^policies:\n/m, `gateway:\n  workers: ${workers}\n\npolicies:\n`);
  const parsed = parseConfig(withWorkers, join(tmpdir(), 'rampart.yaml'));
  const line = withWorkers.split('\n').indexOf(`  workers: ${workers}`) + 1;
  const refused = !parsed.ok && parsed.problems.some((p) => p.line === line || p.message.includes('workers'));
  return refused ? { yaml: base, workers: 'unsupported' } : { yaml: withWorkers, workers };
}

export interface MeshClientFiles {
  /** The gateway's SPIFFE ID, from the running mesh CA: PEM certificate, key, and both in one file. */
  readonly cert: string;
  readonly key: string;
  readonly certAndKey: string;
  /** The mesh trust bundle. */
  readonly bundle: string;
}

export interface BenchPlatform {
  readonly shop: RunningShop;
  readonly workers: Workers;
  readonly upstreamPort: number;
  readonly gatewayPort: number;
  /** The audience access tokens must name: the gateway's public origin. */
  readonly audience: string;
  /** The gateway's edge certificate (chain) and key, as it serves them; also reused by nginx and HAProxy. */
  readonly edge: { readonly cert: string; readonly key: string; readonly certAndKey: string };
  /** Every gateway process (a primary and its workers, however they are started). */
  readonly gatewayPids: () => number[];
  readonly upstreamPids: () => number[];
  readonly supervisorPid: () => number;
  /** A fresh gateway workload certificate (5 minutes) in files, for a proxy that replaces the gateway. */
  meshClient(dir: string): Promise<MeshClientFiles>;
  /** An internal token for the bench service as the gateway mints it, for the longest lifetime allowed. */
  internalToken(): Promise<string>;
  stop(): Promise<void>;
}

/** `workers`: what to ask for in `gateway.workers` (`auto` or a count). */
export async function startPlatform(issuer: string, askedWorkers: string): Promise<BenchPlatform> {
  let workers: Workers = 'unsupported';
  const shop = await startShop({
    edit: (yaml) => {
      const config = benchConfig(yaml, issuer, askedWorkers);
      workers = config.workers;
      return config.yaml;
    },
  });
  try {
    return await platformOf(shop, workers);
  } catch (error) {
    await shop.stop();
    throw error;
  }
}

async function platformOf(shop: RunningShop, workers: Workers): Promise<BenchPlatform> {
  // What the gateway runs is what the report says: a limit and a Cedar rule on the full route, no
  // response cache on either, and a public route for the plain proxy.
  const loaded = await loadConfig(join(shop.dir, 'rampart.yaml'));
  if (!loaded.ok) throw new Error('the bench rampart.yaml does not load');
  const [full, plain] = loaded.config.services[SERVICE]?.routes ?? [];
  const policies = loaded.config.policies ?? {};
  if (
    full?.rateLimit === undefined ||
    full.cache !== undefined ||
    policies[full.policy ?? '']?.cedar === undefined ||
    plain === undefined ||
    plain.cache !== undefined ||
    plain.rateLimit !== 'off' ||
    policies[plain.policy ?? '']?.public !== true
  )
    throw new Error('the bench routes are not what the benchmark describes');
  const supervisor = shop.up.child.pid ?? 0;
  const components = (entry: RegExp): number[] =>
    childPids(supervisor)
      .filter((pid) => {
        try {
          return entry.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '));
        } catch {
          return false;
        }
      })
      .flatMap((pid) => processTree(pid));
  const gatewayPids = (): number[] => components(/services\/gateway\/src\/main\.ts/);
  const upstreamPids = (): number[] => components(/gateway-compare\/upstream\/main\.ts/);
  if (gatewayPids().length === 0 || upstreamPids().length === 0)
    throw new Error('the gateway or the bench service is not running under rampart up');

  const yaml = readFileSync(join(shop.dir, 'rampart.yaml'), 'utf8');
  const upstreamPort = Number(/^ {2}bench:\n {4}entry: .*\n {4}port: (\d+)$/m.exec(yaml)?.[1]);
  const edgeCert = readFileSync(join(shop.home, 'gateway/tls.pem'), 'utf8');
  const edgeKey = readFileSync(join(shop.home, 'gateway/tls.key'), 'utf8');
  const edgeDir = shop.dir;
  const edge = {
    cert: join(edgeDir, 'edge.crt'),
    key: join(edgeDir, 'edge.key'),
    certAndKey: join(edgeDir, 'edge.pem'),
  };
  writeFileSync(edge.cert, edgeCert);
  writeFileSync(edge.key, edgeKey, { mode: 0o600 });
  writeFileSync(edge.certAndKey, edgeCert + edgeKey, { mode: 0o600 });

  return {
    shop,
    workers,
    upstreamPort,
    gatewayPort: shop.ports.gateway,
    audience: `https://127.0.0.1:${shop.ports.gateway}`,
    edge,
    gatewayPids,
    upstreamPids,
    supervisorPid: () => supervisor,
    async meshClient(dir) {
      const { cert, key } = await shop.credentials(componentSpiffeId(SHOP_TRUST_DOMAIN, 'gateway'));
      const files = {
        cert: join(dir, 'mesh.crt'),
        key: join(dir, 'mesh.key'),
        certAndKey: join(dir, 'mesh.pem'),
        bundle: join(dir, 'bundle.pem'),
      };
      writeFileSync(files.cert, cert);
      writeFileSync(files.key, key, { mode: 0o600 });
      writeFileSync(files.certAndKey, cert + key, { mode: 0o600 });
      writeFileSync(files.bundle, shop.bundle());
      return files;
    },
    internalToken: () =>
      shop.token({ sub: 'bench-proxy', aud: SERVICE, scope: SCOPE }, MAX_TOKEN_LIFETIME_SECONDS),
    stop: () => shop.stop(),
  };
}
