import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  formatProblem,
  loadConfig,
  readComponentEnv,
  readLogLevel,
  resolveSecret,
  trustDomainOf,
  type ComponentEnv,
  type RampartConfig,
} from '@rampart/config';
import { componentSpiffeId, startWorkloadIdentity, type WorkloadIdentity } from '@rampart/mesh';
import { closeServer, createAdminServer, listenOn } from './admin-server.ts';
import { configRefusalReason, isConfigMessage, type ConfigReply } from './config-ipc.ts';
import { receiveLaunchSecrets, requiredJoinToken, type LaunchSecrets } from './launch-secrets.ts';
import { createLogger, type Logger } from './log/index.ts';
import { stopOnSignals } from './process-lifecycle.ts';

/**
 * The components that boot with {@link bootComponent}. A service boots with `runService`, which
 * reads the same contract through `readServiceEnv` but builds the SDK's whole service around it.
 */
export type BootKind = 'mesh' | 'identity' | 'gateway';

/** A kind's workload identity: every kind but the mesh authority (which issues them) has one. */
export type WorkloadOf<K extends BootKind> = K extends 'mesh' ? undefined : WorkloadIdentity;

/** rampart.yaml's path, from each kind's variables (a correlated lookup, as below). */
const CONFIG_FILE: { readonly [P in BootKind]: (env: ComponentEnv<P>) => string } = {
  mesh: (env) => env.configFile,
  identity: (env) => env.configFile,
  gateway: (env) => env.configFile,
};

/** Joins the mesh at `url`, trusting the roots in `bundleFile`. */
type Join = (url: string, bundleFile: string) => Promise<WorkloadIdentity>;

/**
 * How each kind joins the mesh, from its contract variables. Written as a mapped type so that
 * `JOIN_MESH[kind](env, join)` keeps the kind's own environment and workload types (a correlated
 * lookup) without a cast.
 */
const JOIN_MESH: { readonly [P in BootKind]: (env: ComponentEnv<P>, join: Join) => Promise<WorkloadOf<P>> } =
  {
    mesh: () => Promise.resolve(undefined),
    identity: (env, join) => join(env.meshUrl, env.meshBundleFile),
    gateway: (env, join) => join(env.meshUrl, env.meshBundleFile),
  };

/** What a component's `start` is handed: everything read and joined before it. */
export interface BootContext<K extends BootKind> {
  readonly kind: K;
  readonly log: Logger;
  /** The contract's variables for this kind, secrets included (`readComponentEnv`). */
  readonly env: ComponentEnv<K>;
  /** What `rampart up` handed over IPC; the secret variables are in `process.env` too. */
  readonly secrets: LaunchSecrets;
  /** rampart.yaml as it was on disk at start, valid and deep-frozen. */
  readonly config: Readonly<RampartConfig>;
  /** The directory of rampart.yaml: `${file:…}` references resolve from it. */
  readonly configDir: string;
  readonly trustDomain: string;
  /**
   * The component's workload identity (`spiffe://<td>/rampart/<kind>`), joined with the one-time
   * token; renewed by itself at half-life, stopped by the boot. `undefined` for the mesh authority.
   */
  readonly workload: WorkloadOf<K>;
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
  start(context: BootContext<K>): Promise<RunningComponent>;
}

/**
 * The one boot sequence of a Rampart component, in this order:
 *
 * 1. the launch secrets over IPC (`receiveLaunchSecrets`), never the environment;
 * 2. the contract's variables (`readComponentEnv`), every problem at once;
 * 3. rampart.yaml, loaded and checked (`configuration invalid` with each problem, exit 1);
 * 4. the workload identity, joined with the one-time token (not for the mesh authority);
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
  const log = createLogger(kind, { level: readLogLevel(process.env) });
  let workload: WorkloadIdentity | undefined;
  let running: RunningComponent | undefined;
  let stopping = false;
  try {
    const secrets = await receiveLaunchSecrets();
    const env = readComponentEnv(kind, process.env, secrets.env);
    const loaded = await loadConfig(CONFIG_FILE[kind](env));
    if (!loaded.ok) {
      log.fatal(
        { problems: loaded.problems.map((problem) => formatProblem(problem)) },
        'configuration invalid',
      );
      process.exitCode = 1;
      return;
    }
    const { config } = loaded;
    const configDir = dirname(loaded.file);
    const trustDomain = trustDomainOf(config);
    const joined = await JOIN_MESH[kind](env, async (url, bundleFile) => {
      workload = await startWorkloadIdentity({
        authorityUrl: url,
        authoritySpiffeId: componentSpiffeId(trustDomain, 'mesh'),
        bundlePem: readFileSync(bundleFile, 'utf8'),
        joinToken: requiredJoinToken(secrets),
        spiffeId: componentSpiffeId(trustDomain, kind),
      });
      return workload;
    });
    let revision = 0;
    running = await options.start({
      kind,
      log,
      env,
      secrets,
      config,
      configDir,
      trustDomain,
      workload: joined,
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
      const reply = (message: ConfigReply): void => {
        send(message);
      };
      process.on('message', (message: unknown) => {
        if (isConfigMessage(message)) {
          void applyRevision(message.revision, message.config);
        } else if (typeOf(message) === 'config') {
          log.warn('ignored a malformed config message');
        } else {
          component.onMessage?.(message);
        }
      });
      const applyRevision = async (next: number, nextConfig: RampartConfig): Promise<void> => {
        try {
          if (next <= revision) throw new Error(`revision ${next} is not newer than ${revision}`);
          await component.applyConfig?.(next, nextConfig);
          // Answers may cross (a slow apply, then a newer one): the revision never goes back.
          revision = Math.max(revision, next);
          log.info({ revision: next }, 'configuration applied');
          reply({ type: 'config.applied', revision: next });
        } catch (error) {
          const reason = configRefusalReason(error);
          log.warn({ revision: next, reason }, 'configuration rejected');
          reply({ type: 'config.rejected', revision: next, reason });
        }
      };
    }
    stopOnSignals(log, async () => {
      stopping = true;
      workload?.stop();
      await Promise.all([adminServer === undefined ? undefined : closeServer(adminServer), component.stop()]);
    });
  } catch (error) {
    // The reason is in the message: the supervisor's terminal shows that line (e.g. GW_PORT_IN_USE).
    log.fatal(
      { err: error },
      `${kind} failed to start: ${error instanceof Error ? error.message : 'unknown error'}`,
    );
    process.exitCode = 1;
    stopping = true;
    workload?.stop();
    await running?.stop().catch((stopError: unknown) => {
      log.error({ err: stopError }, 'stop failed');
    });
  }
}

function typeOf(message: unknown): unknown {
  return typeof message === 'object' && message !== null && 'type' in message ? message.type : undefined;
}
