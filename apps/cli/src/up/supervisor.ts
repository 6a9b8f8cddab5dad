import { dirname } from 'node:path';
import { configDiff, trustDomainOf, type RampartConfig } from '@rampart/config';
import { componentSpiffeId, createJoinToken, serviceSpiffeId } from '@rampart/mesh';
import { Component, type ComponentEvent, type ComponentSpec } from './component.ts';
import { gatewayTlsFiles, planComponents, type ComponentPlan } from './component-plan.ts';
import { EDGE_RENEW_INTERVAL_MS, issueEdgeCertificate } from './edge-tls.ts';
import { prepareIdentitySecrets } from './identity-secrets.ts';
import { libraryDirs } from './installation.ts';
import { permissionFlags } from './permissions.ts';
import { prepareComponentFiles } from './owned-files.ts';
import type { ComponentUsers, RunAs } from './privileges.ts';
import { secretVariablesFor } from './secret-variables.ts';
import { SqlProvisioning } from './sql-provisioning.ts';
import type { StateDir } from './state-dir.ts';

export interface SupervisorOptions {
  readonly configFile: string;
  readonly installation: string;
  readonly state: StateDir;
  /** One system user per component when `up` is root; `null`: every component runs as the invoking user. */
  readonly users: ComponentUsers | null;
  readonly readyTimeoutMs: number;
  readonly onEvent: (event: ComponentEvent) => void;
}

/** A join token is good for one use, within this long of the (re)start it was minted for. */
const JOIN_TOKEN_TTL_MS = 2 * 60_000;

/** Runs every component of one config, in dependency order, and applies config edits to them. */
export class Supervisor {
  readonly #options: SupervisorOptions;
  readonly #components = new Map<string, { component: Component; plan: ComponentPlan }>();
  readonly #sql: SqlProvisioning;
  #config: RampartConfig;
  #revision = 0;
  #edgeRenewal: NodeJS.Timeout | null = null;

  constructor(config: RampartConfig, options: SupervisorOptions) {
    this.#config = config;
    this.#options = options;
    this.#sql = new SqlProvisioning(() => this.#config, dirname(options.configFile));
  }

  get revision(): number {
    return this.#revision;
  }

  /** Running components, in start order. */
  get components(): Component[] {
    return [...this.#components.values()].map((entry) => entry.component);
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
      void this.#renewEdgeCertificate();
    }, EDGE_RENEW_INTERVAL_MS);
    this.#edgeRenewal.unref();
  }

  async #renewEdgeCertificate(): Promise<void> {
    const gateway = this.#components.get('gateway')?.component;
    try {
      await this.#issueEdgeCertificate();
      gateway?.notify({ type: 'tls.renewed' });
    } catch (error) {
      this.#options.onEvent({
        type: 'error-logged',
        name: 'gateway',
        message: `TLS renewal failed: ${(error as Error).message}`,
      });
    }
  }

  #issueEdgeCertificate(): Promise<void> {
    const { state } = this.#options;
    const gateway = this.#runAs({ name: 'gateway', kind: 'gateway' });
    return issueEdgeCertificate(
      state.edgeCaDir,
      trustDomainOf(this.#config),
      gatewayTlsFiles(state),
      gateway,
    );
  }

  /** The OS user a component runs as: its own system user under root, else the invoking user (`null`). */
  #runAs(plan: Pick<ComponentPlan, 'name' | 'kind'>): RunAs | null {
    return this.#options.users?.userOf(plan) ?? null;
  }

  /** Stops components in the reverse of their start order. */
  async stop(): Promise<void> {
    if (this.#edgeRenewal !== null) clearInterval(this.#edgeRenewal);
    const running = [...this.#components.values()].reverse();
    this.#components.clear();
    for (const { component } of running) await component.stop();
  }

  /**
   * Applies an already-validated config: removed components stop, added ones start, one whose
   * entry, ports or trust domain changed restarts (every one, when storage changed), and every
   * other component receives the new config in place, without a restart.
   */
  async apply(next: RampartConfig): Promise<{ revision: number; restarted: string[] }> {
    const restartAll = configDiff(this.#config, next).otherChanged.length > 0;
    if (restartAll) this.#sql.reset();
    const plans = this.#plans(next);
    this.#config = next;
    this.#revision += 1;
    const restarted: string[] = [];
    for (const [name, { component, plan }] of [...this.#components]) {
      const nextPlan = plans.find((p) => p.name === name);
      if (nextPlan === undefined || restartAll || nextPlan.restartKey !== plan.restartKey) {
        await component.stop();
        this.#components.delete(name);
        if (nextPlan !== undefined) restarted.push(name);
      }
    }
    for (const { component } of this.#components.values()) component.sendConfig(this.#revision, next);
    for (const plan of plans) {
      if (!this.#components.has(plan.name)) await this.#startComponent(plan);
    }
    return { revision: this.#revision, restarted };
  }

  #plans(config: RampartConfig): ComponentPlan[] {
    const { configFile, installation, state } = this.#options;
    return planComponents(config, { configFile, installation, state });
  }

  async #startComponent(plan: ComponentPlan): Promise<void> {
    prepareComponentFiles(plan, this.#options.state.pseudonymKey, this.#runAs(plan));
    const component = new Component(this.#spec(plan), this.#options.onEvent);
    this.#components.set(plan.name, { component, plan });
    await component.start();
    if (this.#revision > 0) component.sendConfig(this.#revision, this.#config);
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
      }),
      env: {
        ...plainEnv(),
        ...plan.env,
        RAMPART_CONFIG: configFile,
        RAMPART_COMPONENT: plan.name,
        RAMPART_STATE_DIR: plan.stateDir,
      },
      runAs,
      logFile: state.logFile(plan.name),
      readyTimeoutMs,
    };
    const td = (): string => trustDomainOf(this.#config);
    const variables = (): Record<string, string> => secretVariablesFor(this.#config, plan.kind);
    switch (plan.kind) {
      case 'platform':
        return spec;
      case 'service':
        return {
          ...spec,
          prepareSecrets: async () => ({
            env: { ...variables(), ...(await this.#sql.envFor(plan.name)) },
            joinToken: await this.#mintJoinToken(serviceSpiffeId(td(), plan.name)),
          }),
        };
      case 'identity':
        return {
          ...spec,
          prepareSecrets: async () => ({
            env: {
              ...variables(),
              ...(await this.#sql.envFor('identity')),
              ...(await prepareIdentitySecrets(
                this.#config,
                { root: state.root, identityDir: plan.stateDir },
                dirname(configFile),
                runAs,
              )),
            },
            joinToken: await this.#mintJoinToken(componentSpiffeId(td(), 'identity')),
          }),
        };
      case 'gateway':
        return {
          ...spec,
          prepareSecrets: async () => {
            await this.#issueEdgeCertificate();
            return {
              env: variables(),
              joinToken: await this.#mintJoinToken(componentSpiffeId(td(), 'gateway')),
            };
          },
        };
    }
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
