import { dirname } from 'node:path';
import {
  configDiff,
  EXTERNAL_CA_RENEWED,
  platformPorts,
  replicaCount,
  trustDomainOf,
  writeLaunchSecretEnv,
  type LogLevel,
  type RampartConfig,
} from '@rampart/config';
import { componentSpiffeId, createJoinToken, serviceSpiffeId } from '@rampart/mesh';
import { AuditCheckpointCopy } from './audit-checkpoints.ts';
import { auditSecrets } from './audit-secrets.ts';
import { Component, type ComponentEvent, type ComponentSpec } from './component.ts';
import { rollOut, type EditOutcome, type Refusal } from './config-rollout.ts';
import { logRotationOf } from './rotating-log.ts';
import { externalCaDir, gatewayTlsFiles, planComponents, type ComponentPlan } from './component-plan.ts';
import { installExternalCas, readExternalCas, watchExternalCas } from './external-cas.ts';
import { EDGE_RENEW_INTERVAL_MS, issueEdgeCertificate } from './edge-tls.ts';
import { installSuppliedTls, readSuppliedTls, watchSuppliedTls } from './supplied-tls.ts';
import { prepareIdentitySecrets } from './identity-secrets.ts';
import { libraryDirs } from './installation.ts';
import { permissionFlags } from './permissions.ts';
import { prepareComponentFiles } from './owned-files.ts';
import { componentHosts, type ComponentHosts } from './component-hosts.ts';
import { configuredPorts, preflightPorts } from './port-preflight.ts';
import type { ComponentUsers, RunAs } from './privileges.ts';
import { secretVariablesFor } from './secret-variables.ts';
import { telemetrySecrets } from './telemetry-secrets.ts';
import { SqlProvisioning } from './sql-provisioning.ts';
import { watchSharedPorts, type SharedPort } from './shared-port-guard.ts';
import type { StateDir } from './state-dir.ts';

export interface SupervisorOptions {
  readonly configFile: string;
  readonly installation: string;
  readonly state: StateDir;
  /** One system user per component when `up` is root; `null`: every component runs as the invoking user. */
  readonly users: ComponentUsers | null;
  readonly readyTimeoutMs: number;
  /** Every component's log level (`componentEnv.logLevel`). */
  readonly logLevel: LogLevel;
  /** `--rehearse-cluster`: each component on a loopback address of its own (`component-hosts.ts`). */
  readonly rehearseCluster?: boolean;
  readonly onEvent: (event: ComponentEvent) => void;
}

interface RunningComponent {
  readonly component: Component;
  readonly plan: ComponentPlan;
}

/** A join token is good for one use, within this long of the (re)start it was minted for. */
const JOIN_TOKEN_TTL_MS = 2 * 60_000;

/** Runs every component of one config, in dependency order, and applies config edits to them. */
export class Supervisor {
  readonly #options: SupervisorOptions;
  readonly #components = new Map<string, RunningComponent>();
  readonly #sql: SqlProvisioning;
  #config: RampartConfig;
  #revision = 0;
  #edgeRenewal: NodeJS.Timeout | null = null;
  #unwatchSuppliedTls: (() => void) | null = null;
  #unwatchExternalCas: (() => void) | null = null;
  #unwatchSharedPorts: (() => void) | null = null;
  #checkpointCopy: AuditCheckpointCopy | undefined;

  constructor(config: RampartConfig, options: SupervisorOptions) {
    this.#config = config;
    this.#options = options;
    this.#sql = new SqlProvisioning(() => this.#config, dirname(options.configFile));
  }

  get revision(): number {
    return this.#revision;
  }

  /** The config in force. */
  get config(): RampartConfig {
    return this.#config;
  }

  /** Running components, in start order. */
  get components(): Component[] {
    return [...this.#components.values()].map((entry) => entry.component);
  }

  /** Every running replica of a kind of component (the gateway's, identity's). */
  #replicasOf(kind: ComponentPlan['kind']): Component[] {
    return [...this.#components.values()]
      .filter((entry) => entry.plan.kind === kind)
      .map((entry) => entry.component);
  }

  /** The ports replicas share now, with the pids of the replicas that hold them. */
  #sharedPorts(): SharedPort[] {
    const ports = platformPorts(this.#config);
    const shared: SharedPort[] = [];
    for (const [kind, key, port] of [
      ['gateway', 'ports.gateway', ports.gateway],
      ['identity', 'ports.identity', ports.identity],
    ] as const) {
      if (replicaCount(this.#config, kind) < 2) continue;
      const owners = this.#replicasOf(kind).flatMap((component) =>
        component.pid === undefined ? [] : [component.pid],
      );
      shared.push({ key, port, owners });
    }
    return shared;
  }

  /** Starts every component once the ones it depends on are ready: wave by wave, each wave at once. */
  async start(): Promise<void> {
    const plans = this.#plans(this.#config);
    const waves = [...new Set(plans.map((plan) => plan.wave))].sort((a, b) => a - b);
    for (const wave of waves) {
      await Promise.all(plans.filter((plan) => plan.wave === wave).map((plan) => this.#startComponent(plan)));
    }
    // The gateway's public certificate lives 24 h: renew it, and tell the gateway, every 12 h.
    this.#edgeRenewal = setInterval(() => {
      if (this.#config.gateway?.tls === undefined) void this.#renewEdgeCertificate();
    }, EDGE_RENEW_INTERVAL_MS);
    this.#edgeRenewal.unref();
    // Replicas on one port cannot tell a sibling from an intruder: the supervisor, which knows their pids, can.
    this.#unwatchSharedPorts = watchSharedPorts(
      () => this.#sharedPorts(),
      (message) => {
        this.#options.onEvent({ type: 'error-logged', name: 'supervisor', message });
      },
    );
    // A certificate the operator supplies is taken again whenever its files change (certbot, cert-manager).
    this.#unwatchSuppliedTls = watchSuppliedTls({
      current: () => this.#config.gateway?.tls,
      configDir: dirname(this.#options.configFile),
      onPair: (pair) => {
        const { state } = this.#options;
        installSuppliedTls(pair, gatewayTlsFiles(state), this.#runAs({ name: 'gateway', kind: 'gateway' }));
        for (const gateway of this.#replicasOf('gateway')) gateway.notify({ type: 'tls.renewed' });
      },
      onRefused: (error) => {
        this.#options.onEvent({
          type: 'error-logged',
          name: 'gateway',
          message: `${error.message}: the certificate being served is kept`,
        });
      },
    });
    // The pinned CAs of the external upstreams too: copied in, then the gateway reads them again.
    this.#unwatchExternalCas = watchExternalCas({
      current: () => this.#config,
      configDir: dirname(this.#options.configFile),
      onCas: (cas) => {
        installExternalCas(
          cas,
          externalCaDir(this.#options.state),
          this.#runAs({ name: 'gateway', kind: 'gateway' }),
        );
        for (const gateway of this.#replicasOf('gateway')) gateway.notify({ type: EXTERNAL_CA_RENEWED });
      },
      onRefused: (error) => {
        this.#options.onEvent({
          type: 'error-logged',
          name: 'gateway',
          message: `${error.message}: the CAs pinned so far are kept`,
        });
      },
    });
  }

  async #renewEdgeCertificate(): Promise<void> {
    try {
      await this.#issueEdgeCertificate();
      for (const gateway of this.#replicasOf('gateway')) gateway.notify({ type: 'tls.renewed' });
    } catch (error) {
      this.#options.onEvent({
        type: 'error-logged',
        name: 'gateway',
        message: `TLS renewal failed: ${(error as Error).message}`,
      });
    }
  }

  /** The gateway's public certificate: the operator's (`gateway.tls`), checked, or one from the edge CA. */
  #issueEdgeCertificate(): Promise<void> {
    const { state, configFile } = this.#options;
    const gateway = this.#runAs({ name: 'gateway', kind: 'gateway' });
    const supplied = this.#config.gateway?.tls;
    if (supplied !== undefined) {
      installSuppliedTls(readSuppliedTls(supplied, dirname(configFile)), gatewayTlsFiles(state), gateway);
      return Promise.resolve();
    }
    return issueEdgeCertificate(
      state.edgeCaDir,
      trustDomainOf(this.#config),
      gatewayTlsFiles(state),
      gateway,
      this.#config.gateway?.publicUrl,
    );
  }

  /** The OS user a component runs as: its own system user under root, else the invoking user (`null`). */
  #runAs(plan: Pick<ComponentPlan, 'name' | 'kind'>): RunAs | null {
    return this.#options.users?.userOf(plan) ?? null;
  }

  /** Stops components in the reverse of their start order. */
  async stop(): Promise<void> {
    if (this.#edgeRenewal !== null) clearInterval(this.#edgeRenewal);
    this.#unwatchSuppliedTls?.();
    this.#unwatchExternalCas?.();
    this.#unwatchSharedPorts?.();
    const running = [...this.#components.values()].reverse();
    this.#components.clear();
    for (const { component } of running) await component.stop();
    // The audit service's last checkpoint (signed as it closed) is on disk before `up` exits.
    await this.#checkpointCopy?.flushed();
  }

  /**
   * Applies an already-validated config, all or nothing (ARCHITECTURE.md, "Live edits"):
   *
   * 1. every running component that reloads in place is sent revision N and must answer within
   *    10 s; if one refuses or stays silent, revision N+1 carries the previous config back to all
   *    of them, and nothing was restarted;
   * 2. only once all applied it do removed components stop, components whose entry, ports or trust
   *    domain changed restart (every one, when storage changed) and added ones start. If one of them
   *    is not ready in time, the ones started stop, revision N+1 carries the previous config back to
   *    the reloaders, and the stopped ones start again on their previous plan.
   *
   * Revisions only grow: a component never sees the same number with two contents.
   */
  async apply(next: RampartConfig): Promise<EditOutcome> {
    // A port the edit adds must be free, or nothing changes: no component is sent or stopped for it.
    const portsTaken = await this.#portsTaken(next);
    if (portsTaken !== null) {
      return { applied: false, revision: this.#revision, refusals: [portsTaken], rollbackRefusals: [] };
    }
    const previous = this.#config;
    const restartAll = configDiff(previous, next).otherChanged.length > 0;
    const plans = this.#plans(next);
    const entries = [...this.#components.values()];
    const reloads = ({ plan }: RunningComponent): boolean =>
      !restartAll && plans.some((p) => p.name === plan.name && p.restartKey === plan.restartKey);
    const reloaders = entries.filter(reloads).map(({ component }) => component);
    const replaced = entries.filter((entry) => !reloads(entry)).sort((a, b) => a.plan.wave - b.plan.wave);

    const revision = ++this.#revision;
    const refusals = await rollOut(reloaders, revision, next);
    if (refusals.length > 0)
      return { applied: false, refusals, ...(await this.#restore(previous, reloaders)) };

    this.#config = next;
    if (restartAll) this.#sql.reset();
    for (const { component, plan } of replaced) {
      await component.stop();
      this.#components.delete(plan.name);
    }
    const started: string[] = [];
    try {
      for (const plan of plans) {
        if (this.#components.has(plan.name)) continue;
        started.push(plan.name);
        await this.#startComponent(plan);
      }
    } catch (error) {
      const failed = { name: started.at(-1) ?? 'a component', reason: reasonOf(error) };
      for (const name of started.reverse()) {
        await this.#components.get(name)?.component.stop();
        this.#components.delete(name);
      }
      if (restartAll) this.#sql.reset();
      const restored = await this.#restore(previous, reloaders);
      const rollbackRefusals = [...restored.rollbackRefusals];
      for (const { plan } of replaced) {
        await this.#startComponent(plan).catch((cause: unknown) => {
          rollbackRefusals.push({ name: plan.name, reason: reasonOf(cause) });
        });
      }
      return { applied: false, refusals: [failed], revision: restored.revision, rollbackRefusals };
    }
    const restarted = replaced.map(({ plan }) => plan.name).filter((name) => this.#components.has(name));
    return { applied: true, revision, restarted };
  }

  /** `SUP_PORT_IN_USE` as the supervisor's refusal when a port `next` adds is taken; the running components' ports are theirs. */
  async #portsTaken(next: RampartConfig): Promise<Refusal | null> {
    try {
      await preflightPorts(
        next,
        new Set(configuredPorts(this.#config).map((entry) => entry.port)),
        this.#hosts(next),
      );
      return null;
    } catch (error) {
      return { name: 'supervisor', reason: reasonOf(error) };
    }
  }

  /** Makes `previous` the config in force again, as a new revision sent to `reloaders`. */
  async #restore(
    previous: RampartConfig,
    reloaders: readonly Component[],
  ): Promise<{ revision: number; rollbackRefusals: Refusal[] }> {
    this.#config = previous;
    const revision = ++this.#revision;
    return { revision, rollbackRefusals: await rollOut(reloaders, revision, previous) };
  }

  #plans(config: RampartConfig): ComponentPlan[] {
    const { configFile, logLevel, state } = this.#options;
    return planComponents(config, { configFile, logLevel, state, hosts: this.#hosts(config) });
  }

  #hosts(config: RampartConfig): ComponentHosts {
    return componentHosts(config, this.#options.rehearseCluster === true);
  }

  async #startComponent(plan: ComponentPlan): Promise<void> {
    prepareComponentFiles(plan, this.#options.state.pseudonymKey, this.#runAs(plan));
    const component = new Component(this.#spec(plan), this.#options.onEvent);
    this.#components.set(plan.name, { component, plan });
    await component.start();
  }

  #spec(plan: ComponentPlan): ComponentSpec {
    const { configFile, installation, readyTimeoutMs, state } = this.#options;
    const runAs = this.#runAs(plan);
    const spec: ComponentSpec = {
      name: plan.name,
      entry: plan.entry,
      url: plan.url,
      readyUrl: plan.readyUrl,
      nodeArgs: permissionFlags({
        libraries: libraryDirs(installation),
        entry: plan.entry,
        configFile,
        stateDir: plan.stateDir,
        privateDirs: plan.privateDirs,
        readableFiles: plan.readableFiles,
        ...(plan.allowAddons === true ? { allowAddons: true } : {}),
        ...(plan.allowWorkers === true ? { allowWorkers: true } : {}),
        ...(plan.allowChildProcess === true ? { allowChildProcess: true } : {}),
      }),
      env: { ...plainEnv(), ...plan.env },
      runAs,
      logFile: state.logFile(plan.name),
      logRotation: logRotationOf(this.#config.logs),
      readyTimeoutMs,
      configInForce: () => ({ revision: this.#revision, config: this.#config }),
    };
    const td = (): string => trustDomainOf(this.#config);
    const variables = (): Record<string, string> => secretVariablesFor(this.#config, plan.kind);
    // Every component exports its own spans: each gets the trace export's headers, if any.
    const telemetry = (): ReturnType<typeof telemetrySecrets> =>
      telemetrySecrets(this.#config, dirname(configFile));
    switch (plan.kind) {
      case 'mesh':
        return {
          ...spec,
          prepareSecrets: async () => ({ env: writeLaunchSecretEnv('mesh', await telemetry()) }),
        };
      case 'service':
        return {
          ...spec,
          prepareSecrets: async () => ({
            env: {
              ...variables(),
              ...writeLaunchSecretEnv('service', {
                ...(await this.#sql.secretsFor(plan.name)),
                ...(await telemetry()),
              }),
            },
            joinToken: await this.#mintJoinToken(serviceSpiffeId(td(), plan.name)),
          }),
        };
      case 'identity':
        return {
          ...spec,
          prepareSecrets: async () => ({
            env: {
              ...variables(),
              ...writeLaunchSecretEnv('identity', {
                ...(await this.#sql.secretsFor('identity')),
                ...(await telemetry()),
                ...(await prepareIdentitySecrets(
                  this.#config,
                  { root: state.root, identityDir: plan.stateDir },
                  dirname(configFile),
                  runAs,
                )),
              }),
            },
            joinToken: await this.#mintJoinToken(componentSpiffeId(td(), 'identity')),
          }),
        };
      case 'audit':
        return {
          ...spec,
          onMessage: (message) => this.#auditCheckpoints().receive(message),
          prepareSecrets: async () => ({
            env: {
              ...variables(),
              ...writeLaunchSecretEnv('audit', {
                ...(await this.#sql.secretsFor('audit')),
                ...(await auditSecrets(this.#config, dirname(configFile))),
                ...(await telemetry()),
              }),
            },
            joinToken: await this.#mintJoinToken(componentSpiffeId(td(), 'audit')),
          }),
        };
      case 'gateway':
        return {
          ...spec,
          prepareSecrets: async () => {
            await this.#issueEdgeCertificate();
            installExternalCas(
              readExternalCas(this.#config, dirname(configFile)),
              externalCaDir(state),
              runAs,
            );
            return {
              env: { ...variables(), ...writeLaunchSecretEnv('gateway', await telemetry()) },
              joinToken: await this.#mintJoinToken(componentSpiffeId(td(), 'gateway')),
            };
          },
        };
    }
  }

  /** The copy of the audit trail's checkpoints, made once per supervisor (it remembers the last seq). */
  #auditCheckpoints(): AuditCheckpointCopy {
    const { state, onEvent } = this.#options;
    this.#checkpointCopy ??= new AuditCheckpointCopy(
      state.auditCheckpoints,
      state.auditSigningPublicKey,
      (reason) => {
        onEvent({
          type: 'error-logged',
          name: 'audit',
          message: `checkpoint refused by rampart up: ${reason}`,
        });
      },
    );
    return this.#checkpointCopy;
  }

  /**
   * A fresh one-time join token for a workload's (re)start: the mesh authority learns only its
   * hash, over IPC; the workload gets the token itself over its own IPC channel and spends it at once.
   */
  async #mintJoinToken(spiffeId: string): Promise<string> {
    const mesh = this.#components.get('mesh')?.component;
    if (mesh === undefined) throw new Error(`cannot start ${spiffeId}: the mesh authority is not running`);
    const { token, sha256 } = createJoinToken();
    await mesh.request(
      {
        type: 'mesh.join-token',
        spiffeId,
        sha256,
        expiresAt: Date.now() + JOIN_TOKEN_TTL_MS,
      },
      'mesh.join-token.added',
    );
    return token;
  }
}

/**
 * A component's environment is built, not inherited, and holds no secret: the supervisor's own
 * variables do not leak, and the ones the config references with `${env:NAME}` travel over IPC
 * (`secretVariablesFor`), never in an environment another process could read.
 */
function plainEnv(): Record<string, string> {
  const env: Record<string, string> = { NODE_ENV: process.env['NODE_ENV'] ?? 'production' };
  for (const key of ['TZ', 'LANG']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
