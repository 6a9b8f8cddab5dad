import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import {
  gatewayOrigin,
  LOOPBACK_HOST,
  platformPorts,
  replicaAdminPort,
  replicaCount,
  replicaName,
  serviceAdminPort,
  writeComponentEnv,
  type ComponentKind,
  type LogLevel,
  type RampartConfig,
} from '@rampart/config';
import { hostUrl, type ComponentHosts } from './component-hosts.ts';
import { startWaves } from './start-order.ts';
import type { StateDir } from './state-dir.ts';
import { COMPONENT_PACKAGES, componentEntry, consoleDir } from './installation.ts';

/** What the supervisor needs to know to run one component. */
export interface ComponentPlan {
  readonly name: string;
  /**
   * Which side of the component contract it is (`componentEnv` in @rampart/config): what its
   * environment holds and which secrets it is handed. All but the mesh join the mesh with a one-time
   * token minted at every (re)start; identity and services get their store credentials.
   */
  readonly kind: ComponentKind;
  /** Components of one wave start together, once every earlier wave is ready. */
  readonly wave: number;
  readonly entry: string;
  /** The address users and other components reach it at. */
  readonly url: string;
  /** Plain-HTTP readiness endpoint on the component's admin port. */
  readonly readyUrl: string;
  readonly stateDir: string;
  /** 0700, or 0711 for the mesh authority, whose directory holds the public bundle.pem others read. */
  readonly stateDirMode: number;
  /** Further directories of its own (a service's keyring), created 0700 for it. */
  readonly privateDirs: readonly string[];
  /** Keys the supervisor generated that this component alone may read (its signing key), 0600. */
  readonly ownedFiles: readonly string[];
  /** Where it gets its private copy of the pseudonym key, if it writes security events. */
  readonly pseudonymKeyCopy?: string;
  /** Single files (or a directory of code: the console's, for the gateway) it may read besides code, config and its own state. */
  readonly readableFiles: readonly string[];
  /** Its whole `RAMPART_*` environment, written from the component contract (`writeComponentEnv`). */
  readonly env: Readonly<Record<string, string>>;
  /** Native addons allowed (identity's argon2id only). */
  readonly allowAddons?: boolean;
  /** Worker threads allowed (the gateway's, one per core). */
  readonly allowWorkers?: boolean;
  /** Child processes allowed (a sidecar's, for the process of its `run`). */
  readonly allowChildProcess?: boolean;
  /** When this changes between two configs, the component restarts instead of reloading. */
  readonly restartKey: string;
}

export interface PlanContext {
  readonly configFile: string;
  readonly state: StateDir;
  /** Passed on to every component: `componentEnv.logLevel` as `rampart up` itself got it, else `info`. */
  readonly logLevel: LogLevel;
  /** Where each component listens and is reached (`--rehearse-cluster`); 127.0.0.1 for all when absent. */
  readonly hosts?: ComponentHosts;
}

/**
 * Every component of a config, in start order: the mesh authority first, then identity and the
 * audit service with the first wave of services, the other services wave by wave, the gateway last.
 * With `identity.replicas` or `gateway.replicas`, each replica is a component of its own
 * (`identity`, `identity-2`, …): the first identity starts alone (it runs the migrations, creates
 * the signing keys and applies the bootstrap), the others once it is ready; the gateways together.
 */
export function planComponents(config: RampartConfig, context: PlanContext): ComponentPlan[] {
  const waves = startWaves(config);
  const replicas = (component: 'gateway' | 'identity'): number[] =>
    Array.from({ length: replicaCount(config, component) }, (_, i) => i + 1);
  return [
    meshPlan(config, context),
    ...replicas('identity').map((replica) => identityPlan(config, context, replica)),
    auditPlan(config, context),
    ...waves.flatMap((names, i) => names.map((name) => servicePlan(config, name, i + 1, context))),
    ...replicas('gateway').map((replica) => gatewayPlan(config, waves.length + 1, context, replica)),
  ];
}

/**
 * The gateway's public certificate and key live in its state directory, with — when `gateway.tls`
 * names a `caFile` — the root it trusts to fetch the issuer's key set through its own address.
 */
export function gatewayTlsFiles(state: StateDir): {
  caFile: string;
  certFile: string;
  keyFile: string;
  issuerCaFile: string;
} {
  const dir = state.componentDir('gateway');
  return {
    caFile: state.caFile,
    certFile: join(dir, 'tls.pem'),
    keyFile: join(dir, 'tls.key'),
    issuerCaFile: join(dir, 'issuer-ca.pem'),
  };
}

/** Where the gateway finds the pinned CAs of the `external` upstreams (`<name>.pem`), copied by `rampart up`. */
export function externalCaDir(state: StateDir): string {
  return join(state.componentDir('gateway'), 'external-ca');
}

function gatewayPlan(config: RampartConfig, wave: number, context: PlanContext, replica = 1): ComponentPlan {
  const { configFile, logLevel, state } = context;
  const ports = platformPorts(config);
  const tls = gatewayTlsFiles(state);
  const { host, peers } = addressing('gateway', context);
  const name = replicaName('gateway', replica);
  const stateDir = state.componentDir(name);
  return {
    name,
    kind: 'gateway',
    wave,
    entry: componentEntry(COMPONENT_PACKAGES.gateway),
    // Where its users reach it: `gateway.publicUrl`, else its own port on 127.0.0.1.
    url: gatewayOrigin(config),
    readyUrl: `${hostUrl('http', host, replicaAdminPort(ports.admin, replica))}/readyz`,
    stateDir,
    stateDirMode: 0o700,
    privateDirs: [],
    ownedFiles: [state.gatewayTokenPrivateKey],
    pseudonymKeyCopy: pseudonymCopy(stateDir),
    // /proc/net/tcp{,6}: the gateway checks that no other socket shares its port (SO_REUSEPORT).
    // apps/console: the web console's files, which the gateway reads once at start and serves.
    // A further replica reads the public certificate and the external upstreams' CAs from the
    // first one's directory (same user).
    readableFiles: [
      ...(replica === 1 ? [] : [tls.certFile, tls.keyFile, tls.issuerCaFile, externalCaDir(state)]),
      consoleDir(),
      state.gatewayTokenPrivateKey,
      meshBundleFile(state),
      state.caFile,
      '/proc/net/tcp',
      '/proc/net/tcp6',
    ],
    allowWorkers: true,
    env: writeComponentEnv('gateway', {
      configFile,
      component: 'gateway',
      replica: String(replica),
      stateDir,
      auditUrl: auditUrl(config, context),
      logLevel,
      launchSecrets: 'ipc',
      listenHost: host,
      peerHosts: peers,
      internalTokenSigningKeyFile: state.gatewayTokenPrivateKey,
      meshUrl: meshUrl(config, context),
      meshBundleFile: meshBundleFile(state),
      pseudonymKeyFile: pseudonymCopy(stateDir),
      // The issuer's key set is fetched through the gateway's own address: trust what signed it.
      edgeCaFile: config.gateway?.tls?.caFile === undefined ? tls.caFile : tls.issuerCaFile,
      tlsCertFile: tls.certFile,
      tlsKeyFile: tls.keyFile,
      externalCaDir: externalCaDir(state),
    }),
    restartKey: JSON.stringify([
      // The trace export is set up once at start (its exporter, sampler and headers).
      config.telemetry ?? null,
      // An external upstream's address and CA file are copied in at start; its routes reload in place.
      Object.entries(config.external ?? {}).map(([name, { url, ca, serverName }]) => [
        name,
        url,
        ca,
        serverName ?? null,
      ]),
      ports.gateway,
      config.gateway?.listen ?? null,
      config.gateway?.tls ?? null,
      ports.admin,
      ports.mesh,
      ports.audit,
      config.trustDomain ?? null,
      config.name,
      config.identity?.issuer ?? null,
      config.identity?.dangerouslyAllowHttpIssuer ?? null,
      config.gateway?.workers ?? null,
      config.gateway?.publicUrl ?? null,
      host,
      peers,
      // One replica guards its port itself; several share it, and rampart up guards it.
      replicaCount(config, 'gateway') > 1,
    ]),
  };
}

/**
 * Identity, or one of its replicas. Every replica shares the one keyring (the signing keys and
 * sealed payloads in PostgreSQL are encrypted with it) and has a state directory of its own (its
 * outbox of security events, its bootstrap file).
 */
function identityPlan(config: RampartConfig, context: PlanContext, replica = 1): ComponentPlan {
  const { configFile, logLevel, state } = context;
  const ports = platformPorts(config);
  const { host } = addressing('identity', context);
  const name = replicaName('identity', replica);
  const stateDir = state.componentDir(name);
  const keyring = state.keyringDir('identity');
  const pseudonymKey = replica === 1 ? pseudonymCopy(keyring) : join(keyring, `pseudonym-${replica}.key`);
  return {
    name,
    kind: 'identity',
    // The first replica starts alone; the others once it is ready.
    wave: replica === 1 ? 1 : 1.5,
    entry: componentEntry(COMPONENT_PACKAGES.identity),
    url: hostUrl('https', host, ports.identity),
    readyUrl: `${hostUrl('http', host, replicaAdminPort(ports.identityAdmin, replica))}/readyz`,
    stateDir,
    stateDirMode: 0o700,
    privateDirs: [keyring],
    ownedFiles: [],
    pseudonymKeyCopy: pseudonymKey,
    readableFiles: [meshBundleFile(state)],
    allowAddons: true,
    env: writeComponentEnv('identity', {
      configFile,
      component: 'identity',
      replica: String(replica),
      stateDir,
      auditUrl: auditUrl(config, context),
      logLevel,
      launchSecrets: 'ipc',
      listenHost: host,
      keyringFile: join(keyring, 'keyring.json'),
      pseudonymKeyFile: pseudonymKey,
      meshUrl: meshUrl(config, context),
      meshBundleFile: meshBundleFile(state),
    }),
    restartKey: JSON.stringify([
      // The trace export is set up once at start (its exporter, sampler and headers).
      config.telemetry ?? null,
      ports.identity,
      ports.identityAdmin,
      ports.gateway,
      ports.mesh,
      ports.audit,
      config.trustDomain ?? null,
      config.name,
      // How many replicas run starts or stops the others, not this one; whether it shares its port does.
      { ...config.identity, replicas: replicaCount(config, 'identity') > 1 },
      config.demo ?? null,
      // The public origin: the issuer's default base and the console's redirect URIs.
      config.gateway?.publicUrl ?? null,
      host,
    ]),
  };
}

function auditPlan(config: RampartConfig, context: PlanContext): ComponentPlan {
  const { configFile, logLevel, state } = context;
  const ports = platformPorts(config);
  const stateDir = state.componentDir('audit');
  const { host, peers } = addressing('audit', context);
  return {
    name: 'audit',
    kind: 'audit',
    wave: 1,
    entry: componentEntry(COMPONENT_PACKAGES.audit),
    url: hostUrl('https', host, ports.audit),
    readyUrl: `${hostUrl('http', host, ports.auditAdmin)}/readyz`,
    stateDir,
    stateDirMode: 0o700,
    privateDirs: [],
    ownedFiles: [state.auditSigningPrivateKey],
    readableFiles: [
      state.auditSigningPrivateKey,
      meshBundleFile(state),
      // Its own detection rules (`audit.rules.dir`): read at start, so the permission model must allow them.
      ...(config.audit?.rules?.dir === undefined
        ? []
        : [resolve(dirname(configFile), config.audit.rules.dir)]),
    ],
    env: writeComponentEnv('audit', {
      configFile,
      component: 'audit',
      stateDir,
      logLevel,
      launchSecrets: 'ipc',
      listenHost: host,
      peerHosts: peers,
      auditSigningKeyFile: state.auditSigningPrivateKey,
      meshUrl: meshUrl(config, context),
      meshBundleFile: meshBundleFile(state),
    }),
    restartKey: JSON.stringify([
      // The trace export is set up once at start (its exporter, sampler and headers).
      config.telemetry ?? null,
      ports.audit,
      ports.auditAdmin,
      ports.mesh,
      // Its admin API asks identity whether a token is an admin token now.
      ports.identity,
      config.trustDomain ?? null,
      config.name,
      config.audit ?? null,
      host,
      peers,
    ]),
  };
}

/** Where every component ships its security events: the audit service. */
function auditUrl(config: RampartConfig, context: PlanContext): string {
  return hostUrl('https', addressing('audit', context).host, platformPorts(config).audit);
}

/**
 * Where component `name` listens (`RAMPART_LISTEN_HOST`) and where it finds its peers
 * (`RAMPART_PEER_HOSTS`): 127.0.0.1 and none named, unless `--rehearse-cluster` gave each its own.
 */
function addressing(
  name: string,
  context: PlanContext,
): { readonly host: string; readonly peers: Readonly<Record<string, string>> } {
  return { host: context.hosts?.hostOf(name) ?? LOOPBACK_HOST, peers: context.hosts?.peers ?? {} };
}

function meshPlan(config: RampartConfig, context: PlanContext): ComponentPlan {
  const { configFile, logLevel, state } = context;
  const ports = platformPorts(config);
  const stateDir = state.componentDir('mesh');
  const { host } = addressing('mesh', context);
  return {
    name: 'mesh',
    kind: 'mesh',
    wave: 0,
    entry: componentEntry(COMPONENT_PACKAGES.mesh),
    url: hostUrl('https', host, ports.mesh),
    readyUrl: `${hostUrl('http', host, ports.meshAdmin)}/readyz`,
    stateDir,
    stateDirMode: 0o711,
    privateDirs: [state.keyringDir('mesh')],
    ownedFiles: [state.internalTokenPrivateKey],
    pseudonymKeyCopy: pseudonymCopy(state.keyringDir('mesh')),
    readableFiles: [state.internalTokenPrivateKey, state.internalTokenPublicKey, state.gatewayTokenPublicKey],
    // Its launch secrets are the trace export's headers alone, if any: the mesh authority joins
    // nothing (no join token), it is the one others join.
    env: writeComponentEnv('mesh', {
      configFile,
      component: 'mesh',
      stateDir,
      launchSecrets: 'ipc',
      auditUrl: auditUrl(config, context),
      logLevel,
      listenHost: host,
      pseudonymKeyFile: pseudonymCopy(state.keyringDir('mesh')),
      internalTokenSigningKeyFile: state.internalTokenPrivateKey,
      internalTokenKeyFile: state.internalTokenPublicKey,
      gatewayTokenKeyFile: state.gatewayTokenPublicKey,
    }),
    restartKey: JSON.stringify([
      // The trace export is set up once at start (its exporter, sampler and headers).
      config.telemetry ?? null,
      ports.mesh,
      ports.meshAdmin,
      ports.audit,
      config.trustDomain ?? null,
      config.name,
      host,
    ]),
  };
}

function servicePlan(config: RampartConfig, name: string, wave: number, context: PlanContext): ComponentPlan {
  const { configFile, logLevel, state } = context;
  const service = config.services[name];
  if (service === undefined) throw new TypeError(`no service named '${name}' in the config`);
  // A service on the SDK runs its own entry; any other process is served by the sidecar, which
  // joins the mesh as the service and starts the process of `run` beside it.
  let entry: string;
  if (service.entry !== undefined) {
    entry = resolve(dirname(configFile), service.entry);
    assertEntryOutsideState(name, service.entry, entry, state.root);
  } else {
    entry = componentEntry(COMPONENT_PACKAGES.sidecar);
  }
  const ports = platformPorts(config);
  const adminPort = serviceAdminPort(service);
  const bundle = meshBundleFile(state);
  const { host, peers } = addressing(name, context);
  return {
    name,
    kind: 'service',
    wave,
    entry,
    url: hostUrl('https', host, service.port),
    readyUrl: `${hostUrl('http', host, adminPort)}/readyz`,
    stateDir: state.serviceDir(name),
    stateDirMode: 0o700,
    privateDirs: [state.keyringDir(name)],
    ownedFiles: [],
    pseudonymKeyCopy: pseudonymCopy(state.keyringDir(name)),
    // A sidecar that starts its process runs it under setpriv (it dies with the sidecar).
    readableFiles: [
      state.internalTokenPublicKey,
      bundle,
      ...(service.run === undefined ? [] : ['/usr/bin/setpriv']),
    ],
    ...(service.run === undefined ? {} : { allowChildProcess: true }),
    env: writeComponentEnv('service', {
      configFile,
      component: name,
      stateDir: state.serviceDir(name),
      auditUrl: auditUrl(config, context),
      logLevel,
      launchSecrets: 'ipc',
      listenHost: host,
      peerHosts: peers,
      keyringFile: join(state.keyringDir(name), 'keyring.json'),
      internalTokenKeyFile: state.internalTokenPublicKey,
      pseudonymKeyFile: pseudonymCopy(state.keyringDir(name)),
      meshUrl: meshUrl(config, context),
      meshBundleFile: bundle,
    }),
    restartKey: JSON.stringify([
      // The trace export is set up once at start (its exporter, sampler and headers).
      config.telemetry ?? null,
      entry,
      service.port,
      adminPort,
      service.upstream ?? null,
      service.run ?? null,
      service.egressPort ?? null,
      ports.mesh,
      ports.audit,
      config.trustDomain ?? null,
      config.name,
      host,
      peers,
    ]),
  };
}

/** The mesh authority's address, which every component but the mesh joins at. */
function meshUrl(config: RampartConfig, context: PlanContext): string {
  return hostUrl('https', addressing('mesh', context).host, platformPorts(config).mesh);
}

/** A component's private copy of the deployment's pseudonym key, in a directory of its own. */
function pseudonymCopy(dir: string): string {
  return join(dir, 'pseudonym.key');
}

/** The mesh authority publishes its trust bundle here; services may read exactly this file. */
export function meshBundleFile(state: StateDir): string {
  return join(state.componentDir('mesh'), 'bundle.pem');
}

function assertEntryOutsideState(name: string, declared: string, entry: string, stateRoot: string): void {
  const rel = relative(dirname(entry), stateRoot);
  if (!rel.startsWith('..') && !isAbsolute(rel)) {
    throw new TypeError(
      `service '${name}': its entry ${declared} sits in a directory that contains .rampart/; ` +
        `move the entry into its own directory (e.g. services/${name}/main.ts) so it cannot read the platform's state`,
    );
  }
  if (!existsSync(entry)) {
    throw new TypeError(`service '${name}': its entry ${declared} does not exist (resolved to ${entry})`);
  }
}
