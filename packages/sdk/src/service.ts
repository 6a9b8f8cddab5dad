import type { FastifyRequest, InjectOptions, LightMyRequestResponse, RouteGenericInterface } from 'fastify';
import type { DestinationStream } from 'pino';
import {
  componentEnv,
  listenHost,
  readLogLevel,
  serviceAdminPort,
  type RampartConfig,
  type ServiceConfig,
} from '@rampart/config';
import { inject as injectRequest } from 'light-my-request';
import {
  adminRequestHandler,
  closeServer,
  createAdminServer,
  listenOn,
  readinessOf,
  storeCheck,
} from './admin-server.ts';
import {
  bootComponent,
  ConfigurationInvalidError,
  prepareComponent,
  type PreparedComponent,
} from './boot.ts';
import { declaredRoutes } from './declared-routes.ts';
import { guardSensitiveWrites, withSensitiveValues } from './store/sensitive-writes.ts';
import { deepFreeze } from './deep-freeze.ts';
import type { Environment } from '@rampart/config';
import type { LaunchSecrets } from './launch-secrets.ts';
import { addPublicRoute, addRoute, type HttpLimits } from './http-app.ts';
import { withInProcessPeer, type InjectAs } from './in-process-peer.ts';
import { createMeshEndpoint, TokenKeyError, type MeshEndpoint } from './mesh-endpoint.ts';
import { BlindIndex, FieldCipher, LocalKeyring } from './crypto/index.ts';
import { createLogger, type Logger } from './log/index.ts';
import type { PublicRouteDefinition, RouteDefinition } from './route.ts';
import { metricsExposition } from './observability/index.ts';
import type { CallOptions, CallResult } from './service-client.ts';
import { openServiceStore, type Store } from './store/index.ts';
import {
  createIdempotencyRecords,
  IDEMPOTENCY_MIGRATIONS,
  registerIdempotency,
} from './idempotency/index.ts';

export interface CreateServiceOptions {
  /** The service name; defaults to `componentEnv.component` and must equal it when both are set. */
  readonly name?: string;
  /** Where to read the contract variables; default `process.env`. */
  readonly env?: Environment;
  /**
   * The launch secrets (the mesh join token), for a service embedded in another process; by
   * default `rampart up` hands them over IPC (`receiveLaunchSecrets`).
   */
  readonly secrets?: LaunchSecrets;
  readonly limits?: HttpLimits;
  /** Where log lines go; default stdout. */
  readonly logDestination?: DestinationStream;
  /** Log level; default `componentEnv.logLevel` or `info`. */
  readonly logLevel?: string;
}

export interface StartOptions {
  /** Overrides the configured port (tests). */
  readonly port?: number;
  /** Overrides the configured admin port (tests). */
  readonly adminPort?: number;
}

export type ConfigListener = (config: Readonly<RampartConfig>, revision: number) => void;

/** A running (or ready to run) Rampart service. */
export interface Service {
  readonly name: string;
  readonly store: Store;
  readonly log: Logger;
  /**
   * Field encryption (AES-256-GCM envelopes bound to table, column and row) with this service's
   * own keyring, kept apart from its data.
   */
  readonly fields: FieldCipher;
  /** Blind indexes (HMAC) for equality lookups on encrypted fields. */
  readonly index: BlindIndex;
  /**
   * Starts a new key version for field encryption: new values use it, old ones still decrypt and
   * report `fields.needsReencryption`, so repositories re-encrypt them lazily on read. Returns the
   * new version.
   */
  rotateFieldKey(): Promise<number>;
  /** The whole configuration currently applied (deep-frozen). */
  config(): Readonly<RampartConfig>;
  /** This service's entry in the configuration currently applied. */
  serviceConfig(): Readonly<ServiceConfig>;
  /** The revision currently applied: 0 at start, then the supervisor's numbers. */
  revision(): number;
  /** Calls `listener` after every configuration change; returns the unsubscribe function. */
  onConfig(listener: ConfigListener): () => void;
  /**
   * Applies a new configuration; throws (and changes nothing) if it is stale, lacks this service,
   * or adds, removes or reshapes one of its routes (handlers are bound at start: restart it).
   * Policy scopes apply at once.
   */
  applyConfig(revision: number, config: RampartConfig): void;
  /**
   * Adds a route that requires an internal token. For a route of rampart.yaml, name only method and
   * url: scopes and request schema come from rampart.yaml (see `RouteDefinition`). `start` refuses
   * to run while a route of this service in rampart.yaml has no handler, or a handler serves a
   * route rampart.yaml does not declare and only the gateway calls the service.
   *
   * @throws TypeError when the handler's scopes or request schema differ from rampart.yaml's.
   */
  route<G extends RouteGenericInterface = RouteGenericInterface>(definition: RouteDefinition<G>): void;
  /** Adds a route reachable without a token: explicit, and rare. */
  publicRoute<G extends RouteGenericInterface = RouteGenericInterface>(
    definition: PublicRouteDefinition<G>,
  ): void;
  /**
   * Calls another service over mTLS for the user of `request`, with a token exchanged for that
   * hop. Allowed only along the call graph of rampart.yaml.
   */
  call(request: FastifyRequest, callee: string, options: CallOptions): Promise<CallResult>;
  /**
   * Renews the workload certificate now (it also renews by itself at half-life): new connections
   * use the new one at once, open ones finish undisturbed. For incident response and tests.
   */
  renewCertificate(): Promise<void>;
  /**
   * Sends a request in-process (Fastify `inject`), for tests, as if over mTLS from `as.peer`
   * (default `gateway`; `null` for no client certificate): the same caller check applies.
   */
  inject(options: InjectOptions | string, as?: InjectAs): Promise<LightMyRequestResponse>;
  /** Sends a request to the admin listener (health, readiness, metrics) in-process, for tests. */
  injectAdmin(options: InjectOptions | string): Promise<LightMyRequestResponse>;
  /**
   * Joins nothing by itself: listens with mTLS on 127.0.0.1:<port> and plain HTTP on the admin
   * port (health, readiness, metrics). Resolves to the mTLS address.
   */
  start(options?: StartOptions): Promise<string>;
  /** Stops accepting, lets in-flight requests finish, closes the store. Idempotent. */
  stop(): Promise<void>;
}

/** createService could not start: the reason was logged and is in the message. */
export class ServiceStartError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ServiceStartError';
  }
}

/**
 * Creates a service from the environment `rampart up` provides: loads and checks rampart.yaml,
 * opens the store in the state directory, and prepares an HTTP app whose routes require an
 * internal token by default. A missing variable is a `TypeError`; an invalid configuration, key
 * or store is logged and rejected as a `ServiceStartError`. A process runs its service with
 * {@link runService}; `createService` is for a service embedded in a test.
 *
 * @example
 * const svc = await createService();
 * await svc.store.migrate(migrations);
 * svc.route({ method: 'GET', url: '/orders', scopes: ['orders:read'], handler: async (req) => list(req.principal) });
 * await svc.start();
 */
export async function createService(options: CreateServiceOptions = {}): Promise<Service> {
  const variables = options.env ?? process.env;
  const log = createLogger(options.name ?? 'service', logOptionsOf(options, readLogLevel(variables)));
  let prepared: PreparedComponent<'service'>;
  try {
    prepared = await prepareComponent('service', log, {
      env: variables,
      ...(options.secrets === undefined ? {} : { secrets: options.secrets }),
    });
  } catch (error) {
    if (error instanceof ConfigurationInvalidError)
      throw new ServiceStartError(error.message, { cause: error });
    throw error;
  }
  try {
    if (options.name !== undefined && options.name !== prepared.name) {
      throw new TypeError(
        `createService({ name: "${options.name}" }) but ${componentEnv.component.name} is "${prepared.name}"`,
      );
    }
    return await assembleService(prepared, options);
  } catch (error) {
    prepared.workload?.stop();
    throw error;
  }
}

/** What {@link runService} takes besides the setup. */
export interface RunServiceOptions {
  readonly limits?: HttpLimits;
}

/**
 * A service's `main.ts`: boots it with the one boot sequence of every Rampart component
 * (`bootComponent({ kind: 'service' })`: launch secrets, environment, rampart.yaml, mesh identity,
 * live reloads, graceful stop), lets `setup` add migrations and routes, and starts it. On failure
 * the reason is logged as `<name> failed to start: …`, what was opened is closed, and
 * `process.exitCode` is 1.
 *
 * @example
 * await runService(async (svc) => {
 *   await svc.store.migrate(migrations);
 *   registerOrderRoutes(svc);
 * });
 */
export async function runService(
  setup: (service: Service) => Promise<void>,
  options: RunServiceOptions = {},
): Promise<void> {
  await bootComponent({
    kind: 'service',
    async start(context) {
      const service = await assembleService(context, options);
      try {
        await setup(service);
        await service.start();
      } catch (error) {
        await service.stop();
        throw error;
      }
      return {
        applyConfig: (revision, config) => {
          service.applyConfig(revision, config);
        },
        stop: () => service.stop(),
      };
    },
  });
}

function logOptionsOf(
  options: CreateServiceOptions,
  level: string,
): { level: string; destination?: DestinationStream } {
  return {
    level: options.logLevel ?? level,
    ...(options.logDestination === undefined ? {} : { destination: options.logDestination }),
  };
}

/** Builds the service around a prepared component: store, keys, HTTP app, clients, admin port. */
async function assembleService(
  prepared: PreparedComponent<'service'>,
  options: CreateServiceOptions,
): Promise<Service> {
  const { env, configFile, name } = prepared;
  const logOptions = logOptionsOf(options, env.logLevel ?? 'info');
  const bootLog = createLogger(name, logOptions);

  const fail = (message: string, cause?: unknown): ServiceStartError => {
    bootLog.fatal({ err: cause }, message);
    return new ServiceStartError(message, { cause });
  };

  let current = deepFreeze(prepared.config);
  let revision = 0;
  const declared = current.services[name];
  if (declared === undefined) throw fail(`service "${name}" is not declared under services in ${configFile}`);
  const log = createLogger(name, { ...logOptions, sensitiveKeys: declared.sensitive ?? [] });

  if (env.keyringFile === undefined) {
    const { name: variable } = componentEnv.keyringFile;
    throw new TypeError(
      `${variable} is not set: run the service with \`rampart up\`, or set ${variable} yourself`,
    );
  }
  let keyring: LocalKeyring;
  try {
    keyring = await LocalKeyring.open(env.keyringFile);
  } catch (error) {
    throw fail(`cannot open the keyring ${env.keyringFile}`, error);
  }
  const fields = new FieldCipher(keyring);
  const index = new BlindIndex(keyring.indexRootKey());

  let store: Store;
  try {
    store = await openServiceStore({
      config: current,
      serviceName: name,
      stateDir: env.stateDir,
      configDir: prepared.configDir,
    });
  } catch (error) {
    throw fail(`cannot open the store of ${name}`, error);
  }
  try {
    await store.migrate(IDEMPOTENCY_MIGRATIONS);
  } catch (error) {
    await store.close();
    throw fail(`cannot prepare the idempotency records of ${name}`, error);
  }

  const thisService = (): Readonly<ServiceConfig> => {
    const entry = current.services[name];
    if (entry === undefined) throw new Error(`service "${name}" vanished from the configuration`);
    return entry;
  };

  const identity = prepared.workload;
  let endpoint: MeshEndpoint;
  try {
    endpoint = await createMeshEndpoint(prepared, {
      log,
      config: () => current,
      service: thisService,
      ...(options.limits === undefined ? {} : { limits: options.limits }),
    });
  } catch (error) {
    await store.close();
    if (error instanceof TokenKeyError) throw fail(error.message, error.cause);
    throw error;
  }
  const { app, clients, metrics } = endpoint;
  registerIdempotency(app, { records: createIdempotencyRecords(store), fields, index });

  let stopping: Promise<void> | undefined;
  const listeners = new Set<ConfigListener>();
  const adminOptions = {
    health: {
      revision: () => revision,
      notReady: readinessOf([
        () => Promise.resolve(stopping === undefined ? null : 'stopping'),
        storeCheck(store),
      ]),
    },
    metrics: metricsExposition(metrics),
  };
  const admin = createAdminServer(adminOptions);
  app.addHook('onClose', async () => {
    await store.close();
  });

  const routes = declaredRoutes(name, () => current);
  // `sensitive:` fields of a request may be stored only encrypted: a handler's write holding one
  // of their values as given is refused (SDK_SENSITIVE_IN_CLEAR) and logged at error level.
  const handlerStore = guardSensitiveWrites(store, (field) => {
    log.error({ code: 'SDK_SENSITIVE_IN_CLEAR', field }, 'refused to store a sensitive field in clear');
  });
  function addDeclaredRoute<G extends RouteGenericInterface>(definition: RouteDefinition<G>): void {
    const resolved = routes.resolve(definition);
    const handler = resolved.definition.handler;
    const guarded: RouteDefinition<G> = {
      ...resolved.definition,
      handler: (request, reply) =>
        withSensitiveValues(request.body, thisService().sensitive ?? [], () => handler(request, reply)),
    };
    addRoute(app, guarded, resolved.scopes);
  }
  const service: Service = {
    name,
    store: handlerStore,
    log,
    fields,
    index,
    rotateFieldKey: () => keyring.rotate(),
    config: () => current,
    serviceConfig: thisService,
    revision: () => revision,
    onConfig(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    applyConfig(nextRevision, config) {
      if (nextRevision <= revision) throw new Error(`revision ${nextRevision} is not newer than ${revision}`);
      const entry = config.services[name];
      if (entry === undefined) throw new Error(`service "${name}" is not in revision ${nextRevision}`);
      // Handlers are bound at start: a route added, removed or reshaped needs a restart.
      const drift = routes.problems(config);
      if (drift.length > 0) throw new Error(drift.join('; '));
      if (entry.port !== thisService().port)
        log.warn('the port changed: it takes effect at the next restart');
      current = deepFreeze(config);
      revision = nextRevision;
      for (const listener of listeners) {
        try {
          listener(current, revision);
        } catch (error) {
          log.error({ err: error }, 'a configuration listener failed');
        }
      }
    },
    route: addDeclaredRoute,
    publicRoute: (definition) => {
      routes.recordPublic(definition.method, definition.url);
      addPublicRoute(app, definition);
    },
    call: (request, callee, callOptions) => {
      if (clients === undefined)
        throw new TypeError('service calls need the mesh: run the service with rampart up');
      return clients.call(request, callee, callOptions);
    },
    async renewCertificate() {
      if (identity === undefined)
        throw new TypeError('no workload certificate: run the service with rampart up');
      await identity.renew();
    },
    inject: (request, as) => app.inject(withInProcessPeer(request, as)),
    injectAdmin: (request) => injectRequest(adminRequestHandler(adminOptions), request),
    async start(startOptions = {}) {
      const drift = routes.problems(current);
      if (drift.length > 0) {
        const message = `the handlers of service "${name}" and rampart.yaml disagree:\n  ${drift.join('\n  ')}`;
        log.fatal({ problems: drift }, 'handlers and rampart.yaml disagree');
        throw new ServiceStartError(message);
      }
      if (identity === undefined) {
        throw new TypeError(
          `${componentEnv.meshUrl.name} is not set: a service listens only with mTLS; run it with \`rampart up\``,
        );
      }
      const address = await app.listen({ host: listenHost(), port: startOptions.port ?? thisService().port });
      await listenOn(admin, startOptions.adminPort ?? serviceAdminPort(thisService()));
      log.info({ address, revision }, 'service listening');
      return address;
    },
    stop() {
      stopping ??= (async () => {
        identity?.stop();
        await endpoint.close();
        await closeServer(admin);
      })();
      return stopping;
    },
  };
  return service;
}
