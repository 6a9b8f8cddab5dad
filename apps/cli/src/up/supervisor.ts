import { isAbsolute, relative, resolve, dirname } from 'node:path';
import { configDiff, type RampartConfig } from '@rampart/config';
import { Component, type ComponentEvent, type ComponentSpec } from './component.ts';
import { libraryDirs } from './installation.ts';
import { permissionFlags } from './permissions.ts';
import type { RunAs } from './privileges.ts';
import { startOrder } from './start-order.ts';
import type { StateDir } from './state-dir.ts';

export interface SupervisorOptions {
  readonly configFile: string;
  readonly installation: string;
  readonly state: StateDir;
  readonly runAs: RunAs | null;
  readonly readyTimeoutMs: number;
  readonly onEvent: (event: ComponentEvent) => void;
}

/** Runs every component of one config, in dependency order, and applies config edits to them. */
export class Supervisor {
  readonly #options: SupervisorOptions;
  readonly #components = new Map<string, Component>();
  #config: RampartConfig;
  #revision = 0;

  constructor(config: RampartConfig, options: SupervisorOptions) {
    this.#config = config;
    this.#options = options;
  }

  get revision(): number {
    return this.#revision;
  }

  get components(): ReadonlyMap<string, Component> {
    return this.#components;
  }

  /** Starts every component, each once the ones it calls are ready. */
  async start(): Promise<void> {
    for (const name of startOrder(this.#config)) await this.#startComponent(name);
  }

  /** Stops components in the reverse of their start order. */
  async stop(): Promise<void> {
    const running = [...this.#components.values()].reverse();
    this.#components.clear();
    for (const component of running) await component.stop();
  }

  /**
   * Applies an already-validated config: removed services stop, added ones start, a service whose
   * entry or port changed restarts (every service, when storage or the trust domain changed), and
   * every other component receives the new config in place.
   */
  async apply(next: RampartConfig): Promise<{ revision: number; restarted: string[] }> {
    const diff = configDiff(this.#config, next);
    const previous = this.#config;
    this.#config = next;
    this.#revision += 1;
    const restarted: string[] = [];
    for (const name of diff.removedServices) {
      await this.#components.get(name)?.stop();
      this.#components.delete(name);
    }
    // Storage or trust-domain changes concern how every component starts: restart them all.
    const restartAll = diff.otherChanged.length > 0;
    for (const name of restartAll ? Object.keys(previous.services) : diff.changedServices) {
      const before = previous.services[name];
      const after = next.services[name];
      if (before === undefined || after === undefined) continue;
      if (restartAll || before.entry !== after.entry || before.port !== after.port) {
        await this.#components.get(name)?.stop();
        this.#components.delete(name);
        restarted.push(name);
      }
    }
    for (const component of this.#components.values()) component.sendConfig(this.#revision, next);
    for (const name of startOrder(next)) {
      if (!this.#components.has(name)) await this.#startComponent(name);
    }
    return { revision: this.#revision, restarted };
  }

  specFor(name: string): ComponentSpec {
    const service = this.#config.services[name];
    if (service === undefined) throw new TypeError(`no service named '${name}' in the config`);
    const { configFile, state, installation, runAs, readyTimeoutMs } = this.#options;
    const entry = resolve(dirname(configFile), service.entry);
    const entryDir = dirname(entry);
    const rel = relative(entryDir, state.root);
    if (!rel.startsWith('..') && !isAbsolute(rel)) {
      throw new TypeError(
        `service '${name}': its entry ${service.entry} sits in a directory that contains .rampart/; ` +
          `move the entry into its own directory (e.g. services/${name}/main.ts) so it cannot read the platform's state`,
      );
    }
    const stateDir = state.serviceDir(name);
    const url = `http://127.0.0.1:${service.port}`;
    return {
      name,
      entry,
      url,
      readyUrl: `${url}/readyz`,
      nodeArgs: permissionFlags({
        libraries: libraryDirs(installation),
        entry,
        configFile,
        stateDir,
        readableFiles: [state.internalTokenPublicKey],
      }),
      env: {
        ...passThroughEnv(this.#config),
        RAMPART_CONFIG: configFile,
        RAMPART_COMPONENT: name,
        RAMPART_STATE_DIR: stateDir,
        RAMPART_INTERNAL_TOKEN_KEY: state.internalTokenPublicKey,
      },
      runAs,
      logFile: state.logFile(name),
      readyTimeoutMs,
    };
  }

  async #startComponent(name: string): Promise<void> {
    const component = new Component(this.specFor(name), this.#options.onEvent);
    this.#components.set(name, component);
    await component.start();
    if (this.#revision > 0) component.sendConfig(this.#revision, this.#config);
  }
}

/**
 * A component's environment is built, not inherited: the supervisor's own variables (and any
 * secrets in them) do not leak, except those the config references with `${env:NAME}`.
 */
function passThroughEnv(config: RampartConfig): Record<string, string> {
  const env: Record<string, string> = { NODE_ENV: process.env['NODE_ENV'] ?? 'production' };
  for (const key of ['TZ', 'LANG']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  for (const match of JSON.stringify(config).matchAll(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
    const key = match[1];
    const value = key === undefined ? undefined : process.env[key];
    if (key !== undefined && value !== undefined) env[key] = value;
  }
  return env;
}
