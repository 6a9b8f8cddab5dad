import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { parseDocument } from 'yaml';
import { CertificateAuthority, createWorkloadCsr, verifyPeerSpiffeId, serviceSpiffeId } from '@rampart/mesh';
import type { PlatformPorts } from '@rampart/config';
import { freePlatformPorts } from './platform-ports.ts';
import { tempConfigDir, UpProcess, writeConfig, repoRoot } from './up-process.ts';
import { mintInternalToken, signingKeyFromPem, type InternalTokenClaims } from './token-keys.ts';

/** The trust domain of the shop {@link startShop} runs (its mesh CA signs SPIFFE IDs in it). */
export const SHOP_TRUST_DOMAIN = 'e2e.local';

/** The shop under `rampart up`, on free ports, with what a test needs to stand in for the gateway. */
export interface RunningShop {
  readonly dir: string;
  readonly home: string;
  readonly up: UpProcess;
  readonly ports: Readonly<Record<'profiles' | 'orders' | 'payments' | keyof PlatformPorts, number>>;
  /** The services behind `rampart sidecar` (reviews in Python, stock in Java): each port the sidecar and its process use. */
  readonly sidecars: Readonly<Record<'reviews' | 'stock', SidecarPorts>>;
  /** An internal token as the gateway would mint it (aud = service, no `act`), or with `act`. */
  token(claims: InternalTokenClaims, expiresIn?: number): Promise<string>;
  /** Credentials from a copy of the running mesh CA, for any SPIFFE ID, valid or expired. */
  credentials(spiffeId: string, options?: { expired?: boolean }): Promise<{ key: string; cert: string }>;
  bundle(): string;
  stop(): Promise<void>;
}

/** A sidecar service's ports: its mTLS port, its process's upstream port, its egress and admin ports. */
export interface SidecarPorts {
  readonly port: number;
  readonly upstream: number;
  readonly egress: number;
  readonly admin: number;
}

/** The shop's services behind the sidecar. */
const SIDECAR_SERVICES = ['reviews', 'stock'] as const;

export interface ShopOptions {
  /** Replaces the `storage:` section of the shop's rampart.yaml. */
  readonly storage?: string;
  /** Extra environment for `rampart up` (e.g. a secret a reference points to). */
  readonly env?: Readonly<Record<string, string>>;
  /** A last edit of the YAML before it is written. */
  readonly edit?: (yaml: string) => string;
  /** More flags for `rampart up` (e.g. `--rehearse-cluster`). */
  readonly args?: readonly string[];
}

/**
 * The shop's own rampart.yaml with this run's ports, trust domain, absolute entries and storage,
 * edited through the YAML document (never by pattern on its text): a key the shop no longer has
 * is an error here, not a silent run on the shop's default ports.
 */
function shopYaml(
  shop: string,
  edits: {
    ports: Record<string, number | undefined>;
    servicePorts: Record<string, number | undefined>;
    sidecars: Record<string, SidecarPorts>;
    storage?: string;
  },
): string {
  const doc = parseDocument(readFileSync(join(shop, 'rampart.yaml'), 'utf8'));
  doc.set('trustDomain', SHOP_TRUST_DOMAIN);
  doc.set('ports', edits.ports);
  for (const [service, port] of Object.entries(edits.servicePorts)) {
    const entry = doc.getIn(['services', service, 'entry']);
    if (typeof entry !== 'string') throw new Error(`examples/shop/rampart.yaml has no service ${service}`);
    doc.setIn(['services', service, 'port'], port);
    doc.setIn(['services', service, 'entry'], join(shop, entry));
  }
  for (const [service, ports] of Object.entries(edits.sidecars)) {
    const run = doc.getIn(['services', service, 'run']);
    if (typeof run !== 'string')
      throw new Error(`examples/shop/rampart.yaml has no sidecar service ${service}`);
    doc.setIn(['services', service, 'port'], ports.port);
    doc.setIn(['services', service, 'adminPort'], ports.admin);
    doc.setIn(['services', service, 'egressPort'], ports.egress);
    doc.setIn(['services', service, 'upstream'], `http://127.0.0.1:${ports.upstream}`);
    // `run` runs from the directory of rampart.yaml, here a temporary one: its file, made absolute.
    doc.setIn(
      ['services', service, 'run'],
      run
        .split(' ')
        .map((word) => (word.startsWith('services/') ? join(shop, word) : word))
        .join(' '),
    );
  }
  if (edits.storage !== undefined) doc.set('storage', parseDocument(edits.storage).get('storage'));
  return doc.toString();
}

/**
 * The example shop (examples/shop) under a real `rampart up` child process, on free ports, in a
 * temporary directory; resolves once the shop is up. `stop()` ends it and removes the directory.
 *
 * @example
 * const shop = await startShop();
 * after(() => shop.stop());
 */
export async function startShop(options: ShopOptions = {}): Promise<RunningShop> {
  const { dir, cleanup } = tempConfigDir();
  const { platform, extra } = await freePlatformPorts(3 + 4 * SIDECAR_SERVICES.length);
  const [profiles, orders, payments, ...rest] = extra;
  const sidecars = Object.fromEntries(
    SIDECAR_SERVICES.map((name, i) => {
      const [port, upstream, egress, admin] = rest.slice(4 * i, 4 * i + 4).map(required);
      return [
        name,
        {
          port: required(port),
          upstream: required(upstream),
          egress: required(egress),
          admin: required(admin),
        },
      ];
    }),
  ) as Record<(typeof SIDECAR_SERVICES)[number], SidecarPorts>;
  const shop = join(repoRoot, 'examples/shop');
  const yaml = shopYaml(shop, {
    ports: { ...platform },
    servicePorts: { profiles, orders, payments },
    sidecars,
    ...(options.storage === undefined ? {} : { storage: options.storage }),
  });
  // A component gets a minute to become ready: on a loaded CI machine 15 s (the default) is not enough.
  const up = new UpProcess(
    writeConfig(dir, options.edit?.(yaml) ?? yaml),
    ['--ready-timeout', '60', ...(options.args ?? [])],
    options.env,
  );
  try {
    await up.waitFor(/shop is up in/, 120_000);
  } catch (error) {
    // A shop that did not come up must not outlive the test that asked for it.
    await up.stop();
    cleanup();
    throw error;
  }
  const home = join(dir, '.rampart');
  const signingKey = await signingKeyFromPem(readFileSync(join(home, 'keys/internal-token.key.pem'), 'utf8'));

  // A copy, so the test never writes to the live CA's state.
  const caCopy = join(dir, 'ca-copy');
  cpSync(join(home, 'mesh/ca'), caCopy, { recursive: true });

  return {
    dir,
    home,
    up,
    ports: {
      profiles: required(profiles),
      orders: required(orders),
      payments: required(payments),
      ...platform,
    },
    sidecars,
    token: (claims, expiresIn = 60) => mintInternalToken(signingKey, claims, { expiresIn }),
    async credentials(spiffeId, options = {}) {
      const past = Date.now() - 2 * 60 * 60 * 1000;
      const ca = await CertificateAuthority.open(caCopy, {
        trustDomain: SHOP_TRUST_DOMAIN,
        ...(options.expired === true ? { now: () => past } : {}),
      });
      const { keyPem, csrPem } = await createWorkloadCsr(spiffeId);
      const issued = await ca.issue({ csrPem, spiffeId, ttlMs: 5 * 60 * 1000 });
      return { key: keyPem, cert: issued.certPem };
    },
    bundle: () => readFileSync(join(home, 'mesh/bundle.pem'), 'utf8'),
    async stop() {
      await up.stop();
      cleanup();
    },
  };
}

export interface CallAs {
  readonly cert?: { key: string; cert: string };
  /** Trust anchors for the server; default the mesh bundle. */
  readonly ca: string;
  readonly token?: string;
}

/** One HTTPS request to a service, as a given workload (or as no workload at all). */
export async function callService(
  port: number,
  service: string,
  path: string,
  as: CallAs,
  init: { method?: 'GET' | 'POST' | 'PUT'; body?: unknown } = {},
): Promise<{ status: number; body: unknown }> {
  const agent = new Agent({
    connect: {
      ca: as.ca,
      ...(as.cert === undefined ? {} : { cert: as.cert.cert, key: as.cert.key }),
      checkServerIdentity: verifyPeerSpiffeId(serviceSpiffeId(SHOP_TRUST_DOMAIN, service)),
    },
  });
  try {
    const response = await request(`https://127.0.0.1:${port}${path}`, {
      dispatcher: agent,
      method: init.method ?? 'GET',
      headers: {
        ...(as.token === undefined ? {} : { authorization: `Bearer ${as.token}` }),
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    const text = await response.body.text();
    return { status: response.statusCode, body: text.length === 0 ? null : (JSON.parse(text) as unknown) };
  } finally {
    await agent.close();
  }
}

/** Log lines of a component that record `event`, parsed. */
export function securityEvents(home: string, component: string, event: string): Record<string, unknown>[] {
  return readFileSync(join(home, 'logs', `${component}.log`), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .map((record) => (record['securityEvent'] as Record<string, unknown> | undefined) ?? record)
    .filter((record) => record['event'] === event);
}

function required(port: number | undefined): number {
  if (port === undefined) throw new Error('freePlatformPorts answered fewer ports than asked');
  return port;
}
