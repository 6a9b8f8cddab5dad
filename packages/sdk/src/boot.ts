import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  componentEnv,
  formatProblem,
  loadConfig,
  readComponentEnv,
  readLogLevel,
  resolveSecret,
  trustDomainOf,
  type ComponentEnv,
  type Environment,
  type RampartConfig,
} from '@rampart/config';
import {
  componentSpiffeId,
  serviceSpiffeId,
  startWorkloadIdentity,
  type WorkloadIdentity,
} from '@rampart/mesh';
import { closeServer, createAdminServer, listenOn } from './admin-server.ts';
import { createConfigMessageHandler } from './config-ipc.ts';
import { meshJoinEvidence } from './join-evidence.ts';
import { receiveLaunchSecrets, type LaunchSecrets } from './launch-secrets.ts';
import { createLogger, type Logger } from './log/index.ts';
import { rampartVersion, startTraceExport, type TraceExport } from './observability/trace-export.ts';
import { stopOnSignals } from './process-lifecycle.ts';

/**
 * The kinds of component that boot with {@link bootComponent}: the platform's own, and every
 * service (`runService` is `bootComponent({ kind: 'service' })` with the SDK's service around it).
 */
export type BootKind = 'mesh' | 'identity' | 'audit' | 'gateway' | 'service';

/**
 * A kind's workload identity. The mesh authority issues them and has none; a service may have none
 * only when created in-process for a test (`createService` without the mesh variables), and then
 * it cannot listen.
 */
export type WorkloadOf<K extends BootKind> = K extends 'mesh'
  ? undefined
  : K extends 'service'
    ? WorkloadIdentity | undefined
    : WorkloadIdentity;

/** rampart.yaml's path and the component's name, from each kind's variables (a correlated lookup, as below). */
const READ: {
  readonly [P in BootKind]: (env: ComponentEnv<P>) => { readonly configFile: string; readonly name: string };
} = {
  mesh: (env) => ({ configFile: env.configFile, name: 'mesh' }),
  identity: (env) => ({ configFile: env.configFile, name: 'identity' }),
  audit: (env) => ({ configFile: env.configFile, name: 'audit' }),
  gateway: (env) => ({ configFile: env.configFile, name: 'gateway' }),
  service: (env) => ({ configFile: env.configFile, name: env.component }),
};

/**
 * Joins the mesh at `url` as `spiffeId`, trusting the roots in `bundleFile` — with the join token,
 * or else the Kubernetes service-account token in `psatFile`.
 */
type Join = (
  url: string,
  bundleFile: string,
  psatFile: string | undefined,
  spiffeId: (trustDomain: string) => string,
) => Promise<WorkloadIdentity>;

const MESH_VARIABLES = [componentEnv.meshUrl.name, componentEnv.meshBundleFile.name] as const;

/**
 * How each kind joins the mesh, from its contract variables. Written as a mapped type so that
 * `JOIN_MESH[kind](env, join)` keeps the kind's own environment and workload types (a correlated
 * lookup) without a cast.
 */
const JOIN_MESH: { readonly [P in BootKind]: (env: ComponentEnv<P>, join: Join) => Promise<WorkloadOf<P>> } =
  {
    mesh: () => Promise.resolve(undefined),
    identity: (env, join) =>
      join(env.meshUrl, env.meshBundleFile, env.meshPsatFile, (td) => componentSpiffeId(td, 'identity')),
    audit: (env, join) =>
      join(env.meshUrl, env.meshBundleFile, env.meshPsatFile, (td) => componentSpiffeId(td, 'audit')),
    gateway: (env, join) =>
      join(env.meshUrl, env.meshBundleFile, env.meshPsatFile, (td) => componentSpiffeId(td, 'gateway')),
    service: (env, join) => {
      if (env.meshUrl === undefined && env.meshBundleFile === undefined) return Promise.resolve(undefined);
      if (env.meshUrl === undefined || env.meshBundleFile === undefined) {
        const missing = env.meshUrl === undefined ? MESH_VARIABLES[0] : MESH_VARIABLES[1];
        throw new TypeError(
          `${missing} not set: the mesh variables come together (${MESH_VARIABLES.join(', ')}); ` +
            'run the service with `rampart up`, or set both yourself',
        );
      }
      return join(env.meshUrl, env.meshBundleFile, env.meshPsatFile, (td) =>
        serviceSpiffeId(td, env.component),
      );
    },
  };

/** rampart.yaml failed its checks: each problem was logged as `configuration invalid`. */
export class ConfigurationInvalidError extends Error {
  readonly problems: readonly string[];
  constructor(file: string, problems: readonly string[]) {
    super(`${file} is invalid:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigurationInvalidError';
    this.problems = problems;
  }
}

/** Steps 1 to 4 of the boot, done: what every component is started with. */
export interface PreparedComponent<K extends BootKind> {
  readonly kind: K;
  /** `mesh`, `identity`, `gateway`, or the service's key under `services`. */
  readonly name: string;
  /** The contract's variables for this kind, secrets included (`readComponentEnv`). */
  readonly env: ComponentEnv<K>;
  /** What `rampart up` handed over IPC; the secret variables are in `process.env` too. */
  readonly secrets: LaunchSecrets;
  /** rampart.yaml as it was on disk at start, valid. */
  readonly config: RampartConfig;
  /** The absolute path of rampart.yaml. */
  readonly configFile: string;
  /** The directory of rampart.yaml: `${file:…}` references resolve from it. */
  readonly configDir: string;
  readonly trustDomain: string;
  /**
   * The component's workload identity (`spiffe://<td>/rampart/<kind>`, or `…/service/<name>`),
   * joined with the one-time token (or, on Kubernetes, its service-account token); renewed by itself at half-life. `undefined` for the mesh
   * authority.
   */
  readonly workload: WorkloadOf<K>;
}

export interface PrepareOptions {
  /** Where the contract's variables are read; default `process.env`. */
  readonly env?: Environment;
  /** The launch secrets, when the caller has them; by default asked for over IPC. */
  readonly secrets?: LaunchSecrets;
}

/**
 * Steps 1 to 4 of {@link bootComponent}: the launch secrets, the contract's variables, rampart.yaml
 * (its warnings logged, an invalid one logged as `configuration invalid` and thrown as
 * {@link ConfigurationInvalidError}) and the workload identity. A missing or invalid variable is a
 * `TypeError` naming it. `createService` prepares a service this way too.
 */
export async function prepareComponent<K extends BootKind>(
  kind: K,
  log: Logger,
  options: PrepareOptions = {},
): Promise<PreparedComponent<K>> {
  const variables = options.env ?? process.env;
  const secrets = options.secrets ?? (await receiveLaunchSecrets({ env: variables }));
  const env = readComponentEnv(kind, variables, secrets.env);
  const { configFile, name } = READ[kind](env);
  const loaded = await loadConfig(configFile);
  if (!loaded.ok) {
    const problems = loaded.problems.map((problem) => formatProblem(problem));
    log.fatal({ problems }, 'configuration invalid');
    throw new ConfigurationInvalidError(configFile, problems);
  }
  for (const problem of loaded.problems)
    log.warn({ problem: formatProblem(problem) }, 'configuration warning');
  const { config } = loaded;
  const trustDomain = trustDomainOf(config);
  const workload = await JOIN_MESH[kind](env, (url, bundleFile, psatFile, spiffeId) => {
    const joinEvidence = meshJoinEvidence(secrets, psatFile);
    return startWorkloadIdentity({
      authorityUrl: url,
      authoritySpiffeId: componentSpiffeId(trustDomain, 'mesh'),
      bundlePem: readFileSync(bundleFile, 'utf8'),
      joinEvidence,
      spiffeId: spiffeId(trustDomain),
    });
  });
  return {
    kind,
    name,
    env,
    secrets,
    config,
    configFile,
    configDir: dirname(loaded.file),
    trustDomain,
    workload,
  };
}

/** What a component's `start` is handed: everything read and joined before it. */
export interface BootContext<K extends BootKind> extends PreparedComponent<K> {
  readonly log: Logger;
  /** rampart.yaml as it was on disk at start, valid and deep-frozen. */
  readonly config: Readonly<RampartConfig>;
  /** The configuration revision in force: 0 at start, then the supervisor's numbers. */
  readonly revision: () => number;
  /** True once a stop began: report `stopping` from readiness. */
  readonly stopping: () => boolean;
  /** A rampart.yaml value that may be a `${env:…}`/`${file:…}` reference, revealed. */
  readonly reveal: (value: string) => Promise<string>;
}

/** What the boot serves on the component's admin port (`createAdminServer`). */
export interface BootAdmin {
  readonly port: number;
  /** Why the component is not ready now (a short phrase each), or an empty list. */
  notReady(): Promise<readonly string[]>;
  /** The Prometheus exposition of the component's metrics. */
  metrics(): Promise<{ readonly contentType: string; readonly body: string }>;
}

/** A started component, as its `start` returns it. */
export interface RunningComponent {
  /**
   * The admin port the boot serves, with `revision` from the boot and `stopping` added to the
   * reasons while stopping. Omit it only where the component serves its own (its tests need it).
   */
  readonly admin?: BootAdmin;
  /** Logged with the admin URL as `<kind> listening` once the admin port listens. */
  readonly listening?: Readonly<Record<string, unknown>>;
  /**
   * Applies revision `revision` of rampart.yaml, all or nothing: throw (or reject) to refuse it,
   * changing nothing — the first line of the message is the reason `rampart up` prints. Omitted,
   * every newer revision is accepted (a component that reads only what restarts it).
   */
  applyConfig?(revision: number, config: RampartConfig): void | Promise<void>;
  /** Any other message from the supervisor (not a `config` one). */
  onMessage?(message: unknown): void;
  /** Stops accepting, finishes what is in flight, closes what it opened. */
  stop(): Promise<void>;
}

export interface BootOptions<K extends BootKind> {
  readonly kind: K;
  /**
   * Who exports the component's spans when rampart.yaml has `telemetry.traces`: `process` (the
   * default) — the boot starts the export before `start`, so every tracer and `createMetrics` of
   * the component finds it — or `threads`: the component's worker threads each start their own
   * (the gateway), and the boot starts none.
   */
  readonly traceExport?: 'process' | 'threads';
  /**
   * The boot's logger adds the ids of the current trace scope (`runInTraceScope`) to each line:
   * for a component whose request handling runs in one (identity).
   */
  readonly traceScopedLog?: boolean;
  start(context: BootContext<K>): Promise<RunningComponent>;
}

/**
 * This process's span export, when rampart.yaml has `telemetry.traces`: the headers are the launch
 * secret `rampart up` resolved, or — for a component started by hand — the references resolved
 * here, from this process's environment and files.
 */
async function exportTraces<K extends BootKind>(
  prepared: PreparedComponent<K>,
  log: Logger,
): Promise<TraceExport | undefined> {
  const { config, kind, name } = prepared;
  const settings = config.telemetry?.traces;
  if (settings === undefined) return undefined;
  const env: { readonly telemetryHeaders?: Readonly<Record<string, string>> } = prepared.env;
  const handed = env.telemetryHeaders;
  const headers: Record<string, string> = { ...handed };
  if (handed === undefined) {
    for (const [header, reference] of Object.entries(settings.headers ?? {}))
      headers[header] = (await resolveSecret(reference, prepared.configDir)).reveal();
  }
  return startTraceExport({
    settings,
    headers,
    serviceName: name,
    system: config.name,
    trustDomain: prepared.trustDomain,
    ...(kind === 'service' ? {} : { serviceVersion: rampartVersion() }),
    ...(kind === 'service' ? { sensitiveKeys: config.services[name]?.sensitive ?? [] } : {}),
    log,
  });
}

/**
 * The one boot sequence of a Rampart component, in this order:
 *
 * 1. the launch secrets over IPC (`receiveLaunchSecrets`), never the environment;
 * 2. the contract's variables (`readComponentEnv`), every problem at once;
 * 3. rampart.yaml, loaded and checked (`configuration invalid` with each problem, exit 1);
 * 4. the workload identity, joined with the one-time token or the Kubernetes service-account token
 *    (not for the mesh authority), and the span export when rampart.yaml has `telemetry.traces`
 *    (`startTraceExport`);
 * 5. `start(context)`: the component's own stores, servers and workers;
 * 6. the admin port (`/healthz`, `/readyz` with the revision, `/metrics`), when `start` hands one;
 * 7. live reloads from `rampart up`: `config` messages answered `config.applied` or
 *    `config.rejected` with a reason, never applied twice or backwards (the all-or-nothing
 *    protocol of `apps/cli/src/up/config-rollout.ts`); other messages go to `onMessage`;
 * 8. SIGTERM/SIGINT: stop within `SHUTDOWN_TIMEOUT_MS` and exit 0 (1 on failure or overrun); the
 *    IPC channel closing: exit at once (`stopOnSignals`).
 *
 * A failure before the component runs is logged at fatal level as `<kind> failed to start: <reason>`
 * — the line `rampart up` shows — what was started is stopped, and the exit code is 1.
 *
 * It lives in `@rampart/sdk` because every step is already the SDK's (launch secrets, logger, admin
 * server, config messages, signals) or one it imports (`@rampart/config`, `@rampart/mesh`), and
 * every component depends on the SDK; `@rampart/config` holds only the contract, with nothing of
 * Rampart's runtime below it.
 *
 * @example
 * bootComponent({
 *   kind: 'gateway',
 *   async start({ env, config, workload, log }) {
 *     const server = await startMyServer(config, workload.current());
 *     return {
 *       admin: { port: 9465, notReady: async () => [], metrics: metricsExposition(metrics) },
 *       applyConfig: (revision, next) => server.apply(next),
 *       stop: () => server.close(),
 *     };
 *   },
 * });
 */
export async function bootComponent<K extends BootKind>(options: BootOptions<K>): Promise<void> {
  const { kind } = options;
  const log = createLogger(kind, {
    level: readLogLevel(process.env),
    ...(options.traceScopedLog === true ? { traceScope: true } : {}),
  });
  let prepared: PreparedComponent<K> | undefined;
  let traces: TraceExport | undefined;
  let workload: WorkloadIdentity | undefined;
  let running: RunningComponent | undefined;
  let stopping = false;
  try {
    prepared = await prepareComponent(kind, log);
    if (options.traceExport !== 'threads') traces = await exportTraces(prepared, log);
    const { configDir } = prepared;
    workload = prepared.workload;
    let revision = 0;
    running = await options.start({
      ...prepared,
      log,
      revision: () => revision,
      stopping: () => stopping,
      reveal: async (value) =>
        value.includes('${') ? (await resolveSecret(value, configDir)).reveal() : value,
    });
    const component = running;
    const admin = component.admin;
    const adminServer =
      admin === undefined
        ? undefined
        : createAdminServer({
            health: {
              revision: () => revision,
              notReady: async () => [...(stopping ? ['stopping'] : []), ...(await admin.notReady())],
            },
            metrics: () => admin.metrics(),
          });
    if (adminServer !== undefined && admin !== undefined) {
      await listenOn(adminServer, admin.port);
      log.info({ ...component.listening, adminUrl: `http://127.0.0.1:${admin.port}` }, `${kind} listening`);
    }

    const send = process.send?.bind(process);
    if (send !== undefined) {
      const applyConfig = async (next: number, nextConfig: RampartConfig): Promise<void> => {
        if (next <= revision) throw new Error(`revision ${next} is not newer than ${revision}`);
        await component.applyConfig?.(next, nextConfig);
        // Answers may cross (a slow apply, then a newer one): the revision never goes back.
        revision = Math.max(revision, next);
      };
      process.on(
        'message',
        createConfigMessageHandler(
          { applyConfig },
          (reply) => send(reply),
          log,
          (message) => component.onMessage?.(message),
        ),
      );
    }
    stopOnSignals(log, async () => {
      stopping = true;
      workload?.stop();
      await Promise.all([adminServer === undefined ? undefined : closeServer(adminServer), component.stop()]);
      // The last spans of the requests just finished, within a second.
      await traces?.stop();
    });
  } catch (error) {
    process.exitCode = 1;
    // An invalid rampart.yaml was logged problem by problem; anything else is one line with the
    // reason, which the supervisor's terminal shows (e.g. GW_PORT_IN_USE).
    if (!(error instanceof ConfigurationInvalidError)) {
      log.fatal(
        { err: error },
        `${prepared?.name ?? kind} failed to start: ${error instanceof Error ? error.message : 'unknown error'}`,
      );
    }
    stopping = true;
    workload?.stop();
    await running?.stop().catch((stopError: unknown) => {
      log.error({ err: stopError }, 'stop failed');
    });
    await traces?.stop();
  }
}
