import type { Server } from 'node:http';
import { Pool } from 'undici';
import {
  deepFreeze,
  listenHost,
  LOOPBACK_HOST,
  parseUpstream,
  serviceAdminPort,
  sidecarEgressPort,
  type RampartConfig,
  type ServiceConfig,
} from '@rampart/config';
import {
  closeServer,
  createLogger,
  createMeshEndpoint,
  declaredRoutes,
  listenOn,
  metricsExposition,
  type BootAdmin,
  type BootContext,
  type MeshEndpoint,
} from '@rampart/sdk';
import { createEgressServer } from './egress-server.ts';
import { registerForwardRoutes } from './forward-routes.ts';
import {
  createSidecarSecrets,
  podSecrets,
  PROCESS_VARIABLES,
  writeProcessEnvFile,
  writeSharedProcessEnvFile,
} from './sidecar-secrets.ts';
import { accepting, startUpstreamProcess, type UpstreamProcess } from './upstream-process.ts';

/** How long the sidecar waits for its upstream before answering, per connection attempt. */
const UPSTREAM_TIMEOUT_MS = 30_000;

/** A started sidecar, as `bootComponent` runs it. */
export interface Sidecar {
  readonly admin: BootAdmin;
  readonly listening: Readonly<Record<string, unknown>>;
  readonly endpoint: MeshEndpoint;
  applyConfig(revision: number, config: RampartConfig): void;
  stop(): Promise<void>;
}

/** Why the sidecar cannot start: its service is not one it can serve. */
export class SidecarConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SidecarConfigError';
  }
}

/**
 * Starts the sidecar of service `context.name` (a service with `upstream` in rampart.yaml):
 *
 * 1. the mesh side of the service, the SDK's own (`createMeshEndpoint`), on the service's `port`;
 * 2. the routes that forward to the process (`registerForwardRoutes`);
 * 3. the egress port on 127.0.0.1 (`createEgressServer`);
 * 4. the process of `run`, if any, with its port and the per-start secrets in its environment (for
 *    an external process, the same in `<stateDir>/upstream.env`, 0600).
 *
 * Readiness waits for the process to accept connections.
 */
export async function startSidecar(context: BootContext<'service'>): Promise<Sidecar> {
  const { name, env, configDir, trustDomain } = context;
  let current = context.config;
  const thisService = (): Readonly<ServiceConfig> => {
    const entry = current.services[name];
    if (entry === undefined) throw new Error(`service "${name}" vanished from the configuration`);
    return entry;
  };
  const declared = thisService();
  if (declared.upstream === undefined) {
    throw new SidecarConfigError(
      `service "${name}" has no upstream in ${context.configFile}: the sidecar serves only services declared with \`upstream\``,
    );
  }
  const upstream = parseUpstream(declared.upstream);
  if (!upstream.ok) throw new SidecarConfigError(`the upstream of service "${name}" ${upstream.reason}`);
  const egressPort = sidecarEgressPort(declared) ?? 0;
  const log = createLogger(name, { level: env.logLevel ?? 'info', sensitiveKeys: declared.sensitive ?? [] });
  // On Kubernetes the process is in a container of its own, started once with the pod: the secrets
  // live as long as the pod (the shared directory), so a restarted sidecar keeps the process working.
  const sharedDir = env.sidecarSharedDir;
  const secrets = sharedDir === undefined ? createSidecarSecrets() : podSecrets(sharedDir);

  const endpoint = await createMeshEndpoint(context, { log, config: () => current, service: thisService });
  const pool = new Pool(upstream.origin, {
    connections: 128,
    headersTimeout: UPSTREAM_TIMEOUT_MS,
    bodyTimeout: UPSTREAM_TIMEOUT_MS,
    connectTimeout: 5_000,
  });
  const routes = declaredRoutes(name, () => current);
  registerForwardRoutes(endpoint.app, {
    service: name,
    trustDomain,
    config: () => current,
    routes,
    upstream: pool,
    proof: secrets.proof,
    injectTrace: (request, headers) => {
      endpoint.tracer.inject(headers, endpoint.tracer.contextOf(request));
    },
  });

  let egress: Server | undefined;
  let child: UpstreamProcess | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await child?.stop();
      if (egress !== undefined) await closeServer(egress);
      await endpoint.close();
      await pool.close();
    })();
    return stopping;
  };
  try {
    if (endpoint.clients === undefined)
      throw new SidecarConfigError('the sidecar needs the mesh: run it under `rampart up`');
    egress = createEgressServer({
      service: name,
      secret: secrets.egress,
      verifier: endpoint.verifier,
      clients: endpoint.clients,
      events: endpoint.events,
      metrics: endpoint.metrics,
      log,
    });
    // Its process is beside it (one pod): the egress port stays on loopback, wherever the mTLS port is.
    await listenOn(egress, egressPort, LOOPBACK_HOST);
    const variables: Record<string, string> = {
      [PROCESS_VARIABLES.port]: String(upstream.port),
      [PROCESS_VARIABLES.host]: upstream.host,
      [PROCESS_VARIABLES.egressUrl]: `http://127.0.0.1:${egressPort}`,
      [PROCESS_VARIABLES.egressSecret]: secrets.egress,
      [PROCESS_VARIABLES.sidecarSecret]: secrets.proof,
      [PROCESS_VARIABLES.service]: name,
    };
    if (sharedDir !== undefined) {
      // Before the mTLS port opens: the pod's kubelet starts the process's container once this
      // sidecar is started (a native sidecar's startup probe), and the process reads the file then.
      const file = writeSharedProcessEnvFile(sharedDir, variables);
      log.info(
        { file },
        "the process's variables are in this file (0640, the pod's group), for its own container",
      );
    } else if (declared.run === undefined) {
      const file = writeProcessEnvFile(env.stateDir, variables);
      log.info({ file }, 'no `run`: the process is yours to start; its variables are in this file (0600)');
    } else {
      child = startUpstreamProcess({
        command: declared.run,
        cwd: configDir,
        env: { ...baseEnvironment(), ...variables },
        log,
        onExit: (code, signal) => {
          // The supervisor restarts the sidecar (and with it the process) with its backoff.
          log.fatal(
            { code, signal },
            `the process of \`run\` exited (${signal ?? `code ${code}`}): stopping the sidecar`,
          );
          void stop().finally(() => process.exit(1));
        },
      });
    }
    await endpoint.app.listen({ host: listenHost(), port: declared.port });
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    endpoint,
    admin: {
      port: serviceAdminPort(declared),
      notReady: async () =>
        (await accepting(upstream.host, upstream.port))
          ? []
          : [`upstream ${upstream.origin} not accepting connections`],
      metrics: metricsExposition(endpoint.metrics),
    },
    listening: { port: declared.port, upstream: upstream.origin, egressPort },
    applyConfig(_revision, config) {
      const entry = config.services[name];
      if (entry === undefined) throw new Error(`service "${name}" is not in this revision`);
      const drift = routes.problems(config);
      if (drift.length > 0) throw new Error(drift.join('; '));
      current = deepFreeze(config);
    },
    stop,
  };
}

/** What the process inherits besides its own variables: where programs are and the locale, nothing secret. */
function baseEnvironment(): Record<string, string> {
  const keep = ['PATH', 'LANG', 'LC_ALL', 'TZ', 'HOME'];
  return Object.fromEntries(
    keep.flatMap((key) => {
      const value = process.env[key];
      return value === undefined ? [] : [[key, value]];
    }),
  );
}
