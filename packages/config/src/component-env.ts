/**
 * The component contract: every variable `rampart up` gives a component it starts — its name, its
 * meaning and type, which components get it, and whether it is secret. The supervisor writes a
 * component's variables with {@link writeComponentEnv} and {@link writeLaunchSecretEnv}, every
 * component reads them with {@link readComponentEnv}; no other code spells a variable's name.
 *
 * Why in `@rampart/config`: the contract is, with `rampart.yaml`, what the supervisor and the
 * components agree on, and this package is the one both sides already import with nothing of
 * Rampart's below it but `@rampart/errors` — the supervisor (`apps/cli`), the SDK, the gateway,
 * identity, the mesh authority, and a component that does not use the SDK. In `@rampart/sdk` the
 * contract would sit above the package that validates `rampart.yaml` and drag the SDK's runtime
 * (Fastify, pino, pg) into any component that only wants to read its environment. TypeBox is
 * already here for the config schema.
 *
 * Secrets never travel in the environment (ADR 0005): a variable whose `channel` is `ipc` is handed
 * over the component's own IPC channel, once, when it asks (`receiveLaunchSecrets` in the SDK), and
 * {@link readComponentEnv} reads it only from what arrived that way — a secret set in the
 * environment is not honoured. Paths to key files are not secrets (the files' modes and owners
 * guard them), so they travel in the environment.
 *
 * A new component (the audit service, next) adds its kind to {@link COMPONENT_KINDS}, lists itself
 * in the `components` of every variable it gets, adds the ones only it gets, and reads them with
 * `readComponentEnv('<kind>', process.env, secrets.env)`; ARCHITECTURE.md ("The component
 * contract") is the walk-through.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { listenHostProblem, peerHostsProblem } from './host-names.ts';

/** Every kind of component `rampart up` starts. A service is any entry of `services` in rampart.yaml. */
export const COMPONENT_KINDS = ['mesh', 'identity', 'audit', 'gateway', 'service'] as const;
export type ComponentKind = (typeof COMPONENT_KINDS)[number];

/** Whether a kind of component must be given a variable, or may run without it. */
export type Presence = 'required' | 'optional';

/** One variable of the contract. */
export interface ComponentVariable {
  readonly name: `RAMPART_${string}`;
  /** What it means, for the reader of ARCHITECTURE.md and of an error message. */
  readonly meaning: string;
  /** What a valid value looks like, completing "… must be ": shown when it is missing or invalid. */
  readonly expected: string;
  /** The value's type once read. Strings travel as they are; other values as JSON (`encoding`). */
  readonly schema: TSchema;
  readonly encoding?: 'json';
  /** Which components get it, and whether they must. */
  readonly components: Readonly<Partial<Record<ComponentKind, Presence>>>;
  /**
   * `env`: in the environment the component is started with, readable by anything of its user
   * (`/proc/<pid>/environ`) — never a secret. `ipc`: secret, handed over the component's IPC channel.
   */
  readonly channel: 'env' | 'ipc';
  /**
   * `reference`: the component never reads it by name; rampart.yaml does, in a `${env:NAME}`
   * reference, which the component resolves from its own environment table once the launch
   * secrets landed there. Left out of what {@link readComponentEnv} returns.
   */
  readonly readThrough?: 'reference';
  /**
   * `kubernetes`: set by the manifests `rampart export k8s` writes, never by `rampart up` (which
   * has other means: the join token over IPC). Unset, `rampart up` writes it.
   */
  readonly setBy?: 'kubernetes';
  /**
   * What the schema cannot say (an IP literal, a host name): the problem with a schema-valid value,
   * else `undefined`. Shown after {@link expected}; it names an entry, never echoes the value.
   */
  readonly refine?: (value: unknown) => string | undefined;
}

const AbsolutePath = Type.String({ pattern: '^/' });
const NonEmpty = Type.String({ minLength: 1 });
const HttpsUrl = Type.String({ pattern: '^https://[^/?#]+' });
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const LogLevelSchema = Type.Union(LOG_LEVELS.map((level) => Type.Literal(level)));
const ABSOLUTE_PATH = 'an absolute path';

/**
 * The contract. Keys are the names components read the values under; `name` is the variable.
 */
export const componentEnv = {
  configFile: {
    name: 'RAMPART_CONFIG',
    meaning: 'rampart.yaml, which the component loads itself at every start',
    expected: `${ABSOLUTE_PATH} (of rampart.yaml)`,
    schema: AbsolutePath,
    components: {
      mesh: 'required',
      identity: 'required',
      audit: 'required',
      gateway: 'required',
      service: 'required',
    },
    channel: 'env',
  },
  component: {
    name: 'RAMPART_COMPONENT',
    meaning: "the component's name: mesh, identity, audit, gateway, or the service's key under `services`",
    expected: 'a component name (mesh, identity, audit, gateway, or a key of services in rampart.yaml)',
    schema: NonEmpty,
    components: {
      mesh: 'required',
      identity: 'required',
      audit: 'required',
      gateway: 'required',
      service: 'required',
    },
    channel: 'env',
  },
  replica: {
    name: 'RAMPART_REPLICA',
    meaning:
      'which replica of its component this process is, 1 to `gateway.replicas` or `identity.replicas`: replica k ' +
      "serves its admin port at the component's + 100·(k − 1); with more than one, the replicas share the public " +
      'port (SO_REUSEPORT) and rampart up, which started them all, watches it for sockets of anyone else',
    expected: 'an integer from 1 to 16',
    schema: Type.String({ pattern: '^([1-9]|1[0-6])$' }),
    components: { identity: 'optional', gateway: 'optional' },
    channel: 'env',
  },
  stateDir: {
    name: 'RAMPART_STATE_DIR',
    meaning:
      "the component's own writable directory (0700; the mesh's 0711 for its public bundle.pem): " +
      'its data, and its outbox of security events for the audit service',
    expected: ABSOLUTE_PATH,
    schema: AbsolutePath,
    components: {
      mesh: 'required',
      identity: 'required',
      audit: 'required',
      gateway: 'required',
      service: 'required',
    },
    channel: 'env',
  },
  logLevel: {
    name: 'RAMPART_LOG_LEVEL',
    meaning: 'the log level, `info` when unset; `rampart up` passes on its own when it is set',
    expected: `one of ${LOG_LEVELS.join(', ')}`,
    schema: LogLevelSchema,
    components: {
      mesh: 'optional',
      identity: 'optional',
      audit: 'optional',
      gateway: 'optional',
      service: 'optional',
    },
    channel: 'env',
  },
  launchSecrets: {
    name: 'RAMPART_LAUNCH_SECRETS',
    meaning: 'set to `ipc` when the component must ask for its secrets over its IPC channel at start',
    expected: '"ipc"',
    schema: Type.Literal('ipc'),
    components: {
      mesh: 'optional',
      identity: 'optional',
      audit: 'optional',
      gateway: 'optional',
      service: 'optional',
    },
    channel: 'env',
  },
  secretsDir: {
    name: 'RAMPART_SECRETS_DIR',
    meaning:
      'where there is no `rampart up` (Kubernetes): a directory holding each secret variable in a file named ' +
      'after it (a mounted Secret), read instead of the IPC channel; each a regular file no other user can read',
    expected: ABSOLUTE_PATH,
    schema: AbsolutePath,
    components: {
      mesh: 'optional',
      identity: 'optional',
      audit: 'optional',
      gateway: 'optional',
      service: 'optional',
    },
    channel: 'env',
    setBy: 'kubernetes',
  },
  internalTokenKeyFile: {
    name: 'RAMPART_INTERNAL_TOKEN_KEY',
    meaning: "the mesh authority's Ed25519 public key (SPKI PEM) verifying internal tokens",
    expected: ABSOLUTE_PATH,
    schema: AbsolutePath,
    components: { mesh: 'required', service: 'required' },
    channel: 'env',
  },
  internalTokenSigningKeyFile: {
    name: 'RAMPART_INTERNAL_TOKEN_SIGNING_KEY',
    meaning:
      'the Ed25519 private key (PKCS#8 PEM, 0600, its signer alone) signing internal tokens: ' +
      "the mesh authority's for exchanged tokens, the gateway's own for the tokens it forwards",
    expected: ABSOLUTE_PATH,
    schema: AbsolutePath,
    components: { mesh: 'required', gateway: 'required' },
    channel: 'env',
  },
  meshCaFile: {
    name: 'RAMPART_MESH_CA_CERT',
    meaning:
      'a root CA certificate (PEM) the mesh authority creates its CA from, instead of generating one, so ' +
      'that its bundle is known before it starts (Kubernetes: `rampart export k8s-secrets`); with its key',
    expected: ABSOLUTE_PATH,
    schema: AbsolutePath,
    components: { mesh: 'optional' },
    channel: 'env',
    setBy: 'kubernetes',
  },
  meshCaKeyFile: {
    name: 'RAMPART_MESH_CA_KEY',
    meaning: "that root's ECDSA P-256 private key (PKCS#8 PEM, readable by the mesh authority alone)",
    expected: ABSOLUTE_PATH,
    schema: AbsolutePath,
    components: { mesh: 'optional' },
    channel: 'env',
    setBy: 'kubernetes',
  },
  gatewayTokenKeyFile: {
    name: 'RAMPART_GATEWAY_TOKEN_KEY',
    meaning: "the gateway's public key (SPKI PEM), which the mesh publishes with its bundle",
    expected: ABSOLUTE_PATH,
    schema: AbsolutePath,
    components: { mesh: 'optional' },
    channel: 'env',
  },
  keyringFile: {
    name: 'RAMPART_KEYRING',
    meaning: "the component's field-encryption keyring (0600), in a directory apart from its data",
    expected: ABSOLUTE_PATH,
    schema: AbsolutePath,
    components: { identity: 'required', service: 'optional' },
    channel: 'env',
  },
  pseudonymKeyFile: {
    name: 'RAMPART_PSEUDONYM_KEY',
    meaning: "the component's copy of the key pseudonymizing subjects in security events",
    expected: ABSOLUTE_PATH,
    schema: AbsolutePath,
    components: { mesh: 'optional', identity: 'required', gateway: 'required', service: 'optional' },
    channel: 'env',
  },
  meshUrl: {
    name: 'RAMPART_MESH_URL',
    meaning: 'the mesh authority the component joins the mesh at',
    expected: 'an https:// URL (e.g. https://127.0.0.1:8445)',
    schema: HttpsUrl,
    components: { identity: 'required', audit: 'required', gateway: 'required', service: 'optional' },
    channel: 'env',
  },
  meshBundleFile: {
    name: 'RAMPART_MESH_BUNDLE',
    meaning: "the mesh's trust bundle (PEM roots) to trust when joining",
    expected: ABSOLUTE_PATH,
    schema: AbsolutePath,
    components: { identity: 'required', audit: 'required', gateway: 'required', service: 'optional' },
    channel: 'env',
  },
  meshPsatFile: {
    name: 'RAMPART_MESH_PSAT_FILE',
    meaning:
      'on Kubernetes, the projected service-account token (audience `rampart-mesh`, rotated by the kubelet) ' +
      'the component joins the mesh with when rampart up hands it no join token; read anew at every join',
    expected: `${ABSOLUTE_PATH} (e.g. /var/run/secrets/rampart/mesh-token)`,
    schema: AbsolutePath,
    components: { identity: 'optional', audit: 'optional', gateway: 'optional', service: 'optional' },
    channel: 'env',
    setBy: 'kubernetes',
  },
  listenHost: {
    name: 'RAMPART_LISTEN_HOST',
    meaning:
      "the address the component's mTLS port and admin port are bound on (the gateway's public port keeps " +
      '`gateway.listen`), 127.0.0.1 when unset; on Kubernetes 0.0.0.0, every IPv4 address of the pod',
    expected:
      'an IP address: 127.0.0.1 (this host), 0.0.0.0 or :: (every interface), or one interface address',
    schema: Type.String({ minLength: 2, maxLength: 45 }),
    refine: (value) => {
      const problem = listenHostProblem(String(value));
      return problem === undefined ? undefined : `the value ${problem}`;
    },
    components: {
      mesh: 'optional',
      identity: 'optional',
      audit: 'optional',
      gateway: 'optional',
      service: 'optional',
    },
    channel: 'env',
  },
  peerHosts: {
    name: 'RAMPART_PEER_HOSTS',
    meaning:
      'where each peer the component dials is reached, by component or service name; a peer not named is on ' +
      '127.0.0.1. An address only: who answers is proved by its SPIFFE ID, never by this name',
    expected:
      'a JSON object of component or service names to host names or IP addresses, without scheme or port ' +
      '(e.g. {"identity":"rampart-identity.shop.svc"})',
    schema: Type.Record(Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$' }), Type.String()),
    encoding: 'json',
    refine: (value) => peerHostsProblem(value as Readonly<Record<string, string>>),
    components: { audit: 'optional', gateway: 'optional', service: 'optional' },
    channel: 'env',
  },
  auditUrl: {
    name: 'RAMPART_AUDIT_URL',
    meaning:
      'the audit service every security event is shipped to, over mTLS, from an on-disk outbox; ' +
      'without it events stay in the log',
    expected: 'an https:// URL (e.g. https://127.0.0.1:8446)',
    schema: HttpsUrl,
    components: { mesh: 'optional', identity: 'optional', gateway: 'optional', service: 'optional' },
    channel: 'env',
  },
  auditSigningKeyFile: {
    name: 'RAMPART_AUDIT_SIGNING_KEY',
    meaning:
      "the audit service's Ed25519 private key (PKCS#8 PEM, 0600, its own) signing the audit trail's " +
      'checkpoints; its public half stays in the keys directory for `rampart audit verify`',
    expected: ABSOLUTE_PATH,
    schema: AbsolutePath,
    components: { audit: 'required' },
    channel: 'env',
  },
  edgeCaFile: {
    name: 'RAMPART_EDGE_CA',
    meaning: "the edge CA's certificate, the trust anchor of the gateway's clients (ca.pem)",
    expected: ABSOLUTE_PATH,
    schema: AbsolutePath,
    components: { gateway: 'required' },
    channel: 'env',
  },
  tlsCertFile: {
    name: 'RAMPART_TLS_CERT',
    meaning: "the gateway's public certificate chain (PEM), renewed by `rampart up`",
    expected: ABSOLUTE_PATH,
    schema: AbsolutePath,
    components: { gateway: 'required' },
    channel: 'env',
  },
  tlsKeyFile: {
    name: 'RAMPART_TLS_KEY',
    meaning: "the gateway's public certificate's private key (PEM, 0600)",
    expected: ABSOLUTE_PATH,
    schema: AbsolutePath,
    components: { gateway: 'required' },
    channel: 'env',
  },
  externalCaDir: {
    name: 'RAMPART_EXTERNAL_CA_DIR',
    meaning:
      "the directory of the pinned CAs of rampart.yaml's `external` upstreams, `<name>.pem` each " +
      '(required when `external` is set)',
    expected: ABSOLUTE_PATH,
    schema: AbsolutePath,
    components: { gateway: 'optional' },
    channel: 'env',
  },
  sidecarSharedDir: {
    name: 'RAMPART_SIDECAR_SHARED_DIR',
    meaning:
      "on Kubernetes, for a sidecar (a service with `upstream`): the directory shared with the process's own container " +
      "(an in-memory emptyDir it mounts read-only), where the sidecar writes `upstream.env` (0640, the pod's fsGroup) with " +
      "the process's variables and per-pod secrets, kept across restarts of the sidecar in the pod; unset, `<stateDir>/upstream.env` (0600)",
    expected: ABSOLUTE_PATH,
    schema: AbsolutePath,
    components: { service: 'optional' },
    channel: 'env',
    setBy: 'kubernetes',
  },
  clientSecretHashes: {
    name: 'RAMPART_CLIENT_SECRETS',
    meaning: 'each confidential client\'s secret as its SHA-256 (`{ clientId: "sha256:…" }`)',
    expected: 'a JSON object of client ids to secret hashes',
    schema: Type.Record(Type.String(), Type.String()),
    encoding: 'json',
    components: { identity: 'required' },
    channel: 'ipc',
  },
  identityBootstrapFile: {
    name: 'RAMPART_IDENTITY_BOOTSTRAP',
    meaning: 'the one-shot bootstrap file (first admin, demo users) identity applies and deletes',
    expected: ABSOLUTE_PATH,
    schema: AbsolutePath,
    components: { identity: 'required' },
    channel: 'ipc',
  },
  alertWebhookSecret: {
    name: 'RAMPART_ALERT_WEBHOOK_SECRET',
    meaning:
      "with `audit.alerts.webhook`, the HMAC key signing each delivery, read by `rampart up` from the config's reference",
    expected: 'a secret of at least 32 bytes',
    schema: Type.String({ minLength: 32 }),
    components: { audit: 'optional' },
    channel: 'ipc',
  },
  telemetryHeaders: {
    name: 'RAMPART_TELEMETRY_HEADERS',
    meaning:
      "with `telemetry.traces.headers`, the headers every span export carries (the collector's credential), " +
      "read by `rampart up` from the config's references",
    expected: 'a JSON object of header names to values',
    schema: Type.Record(Type.String({ pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$" }), Type.String()),
    encoding: 'json',
    components: {
      mesh: 'optional',
      identity: 'optional',
      audit: 'optional',
      gateway: 'optional',
      service: 'optional',
    },
    channel: 'ipc',
  },
  sqlPassword: {
    name: 'RAMPART_SQL_PASSWORD',
    meaning:
      'with `storage.sql.adminUrl`, the PostgreSQL password of the role `rampart up` provisioned ' +
      'for this component, fresh at every start; rampart.yaml reads it in `storage.sql.url`',
    expected: 'a non-empty password',
    schema: NonEmpty,
    components: { identity: 'optional', audit: 'optional', service: 'optional' },
    channel: 'ipc',
    readThrough: 'reference',
  },
} as const satisfies Record<string, ComponentVariable>;

type Contract = typeof componentEnv;
export type ComponentEnvKey = keyof Contract;

type Keys<K extends ComponentKind, C extends ComponentVariable['channel'], P extends Presence> = {
  [Key in ComponentEnvKey]: Contract[Key]['channel'] extends C
    ? Contract[Key]['components'] extends { readonly [k in K]: P }
      ? Key
      : never
    : never;
}[ComponentEnvKey];

type Values<K extends ComponentKind, C extends ComponentVariable['channel'], Omitted = never> = {
  readonly [Key in Exclude<Keys<K, C, 'required'>, Omitted>]: Static<Contract[Key]['schema']>;
} & {
  readonly [Key in Exclude<Keys<K, C, 'optional'>, Omitted>]?: Static<Contract[Key]['schema']>;
};

type ReferenceKeys = {
  [Key in ComponentEnvKey]: Contract[Key] extends { readonly readThrough: 'reference' } ? Key : never;
}[ComponentEnvKey];

/** What the supervisor puts in the environment of a component of kind `K`. */
export type ComponentEnvValues<K extends ComponentKind> = Values<K, 'env'>;
/** What the supervisor hands a component of kind `K` over IPC. */
export type LaunchSecretValues<K extends ComponentKind> = Values<K, 'ipc'>;
/** What a component of kind `K` reads: its variables and its secrets, by the contract's keys. */
export type ComponentEnv<K extends ComponentKind> = Values<K, 'env' | 'ipc', ReferenceKeys>;

export type Environment = Readonly<Record<string, string | undefined>>;

/** The contract's entries, each with its key. */
export function componentVariables(): readonly (ComponentVariable & { readonly key: ComponentEnvKey })[] {
  return (Object.keys(componentEnv) as ComponentEnvKey[]).map((key) => ({ key, ...componentEnv[key] }));
}

function entriesFor(
  kind: ComponentKind,
  channel: ComponentVariable['channel'],
): (ComponentVariable & { readonly key: ComponentEnvKey; readonly presence: Presence })[] {
  return componentVariables().flatMap((variable) => {
    const presence = variable.components[kind];
    return presence === undefined || variable.channel !== channel ? [] : [{ ...variable, presence }];
  });
}

/**
 * The environment of a component of kind `kind` — `rampart up`'s side of the contract. Typed: a
 * variable the kind must get and is missing, or one it does not get, is a compile error; a value
 * the contract refuses throws a `TypeError` naming the variable.
 *
 * @example
 * const env = writeComponentEnv('gateway', { configFile, component: 'gateway', meshUrl, … });
 * // { RAMPART_CONFIG: '/…/rampart.yaml', RAMPART_COMPONENT: 'gateway', … }
 */
export function writeComponentEnv<K extends ComponentKind>(
  kind: K,
  values: ComponentEnvValues<K>,
): Record<string, string> {
  return write(kind, 'env', values);
}

/**
 * The secret variables of a component of kind `kind`, for its launch secrets (handed over its IPC
 * channel, never in its environment). Typed like {@link writeComponentEnv}.
 *
 * @example
 * const env = writeLaunchSecretEnv('identity', { clientSecretHashes, identityBootstrapFile });
 */
export function writeLaunchSecretEnv<K extends ComponentKind>(
  kind: K,
  values: LaunchSecretValues<K>,
): Record<string, string> {
  return write(kind, 'ipc', values);
}

function write(
  kind: ComponentKind,
  channel: ComponentVariable['channel'],
  values: Readonly<Record<string, unknown>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  const allowed = entriesFor(kind, channel);
  for (const key of Object.keys(values)) {
    if (!allowed.some((variable) => variable.key === key)) {
      throw new TypeError(`the component contract gives a ${kind} no ${channel} variable "${key}"`);
    }
  }
  for (const variable of allowed) {
    const value = values[variable.key];
    if (value === undefined) {
      if (variable.presence === 'required') {
        throw new TypeError(`${variable.name} is required for a ${kind}: ${variable.meaning}`);
      }
      continue;
    }
    const refused = Value.Check(variable.schema, value) ? variable.refine?.(value) : 'invalid';
    if (refused !== undefined) {
      throw new TypeError(`${variable.name} must be ${variable.expected} (${kind}: ${variable.meaning})`);
    }
    if (variable.encoding === 'json') env[variable.name] = JSON.stringify(value);
    else if (typeof value === 'string') env[variable.name] = value;
    else throw new TypeError(`${variable.name} must be ${variable.expected}: a string`);
  }
  return env;
}

/**
 * Reads and validates the contract's variables for a component of kind `kind` — the one reader
 * every component uses. Plain variables come from `env`, secret ones only from `secrets` (the
 * variables its launch secrets carried over IPC). Every problem is reported at once, in a
 * `TypeError` naming each variable, what it is, and how to fix it; values are never echoed.
 *
 * @example
 * const secrets = await receiveLaunchSecrets();
 * const env = readComponentEnv('gateway', process.env, secrets.env);
 * readFileSync(env.tlsCertFile);
 */
export function readComponentEnv<K extends ComponentKind>(
  kind: K,
  env: Environment,
  secrets: Environment = {},
): ComponentEnv<K> {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const channel of ['env', 'ipc'] as const) {
    for (const variable of entriesFor(kind, channel)) {
      if (variable.readThrough === 'reference') continue;
      const read = readVariable(variable, channel === 'env' ? env : secrets);
      if (read.problem !== undefined) {
        if (read.problem !== MISSING || variable.presence === 'required')
          problems.push(describe(variable, read.problem, read.detail));
      } else values[variable.key] = read.value;
    }
  }
  const name = values['component'];
  if (kind !== 'service' && name !== undefined && name !== kind) {
    problems.push(`${componentEnv.component.name} must be "${kind}" for the ${kind}'s entry`);
  }
  if (problems.length > 0) {
    throw new TypeError(
      `the ${kind}'s environment is not what rampart up gives it:\n  ${problems.join('\n  ')}`,
    );
  }
  // Each value was checked against its variable's schema above.
  return values as ComponentEnv<K>;
}

/**
 * `RAMPART_LOG_LEVEL`, `info` when unset: read before the rest, since the logger exists before
 * anything else can fail. Throws like {@link readComponentEnv}.
 *
 * @example
 * const log = createLogger('gateway', { level: readLogLevel(process.env) });
 */
export function readLogLevel(env: Environment): LogLevel {
  const read = readVariable(componentEnv.logLevel, env);
  if (read.problem === MISSING) return 'info';
  if (read.problem !== undefined) throw new TypeError(describe(componentEnv.logLevel, read.problem));
  const level = LOG_LEVELS.find((candidate) => candidate === read.value);
  if (level === undefined) throw new TypeError(describe(componentEnv.logLevel, INVALID));
  return level;
}

/**
 * `RAMPART_LAUNCH_SECRETS`: `ipc` when `rampart up` hands this process secrets over IPC, else
 * `undefined`. Read by `receiveLaunchSecrets` before the rest, which needs the secrets.
 *
 * @example
 * if (readLaunchSecretsMode(process.env) === 'ipc') process.send?.({ type: 'launch.secrets.request' });
 */
export function readLaunchSecretsMode(env: Environment): 'ipc' | undefined {
  const read = readVariable(componentEnv.launchSecrets, env);
  if (read.problem === MISSING) return undefined;
  if (read.problem !== undefined) throw new TypeError(describe(componentEnv.launchSecrets, read.problem));
  return 'ipc';
}

/**
 * `RAMPART_SECRETS_DIR`: the directory of files a component reads its secret variables from where
 * no `rampart up` hands them over IPC (Kubernetes), else `undefined`. Read by `receiveLaunchSecrets`.
 *
 * @example
 * const dir = readSecretsDir(process.env); // '/var/run/secrets/rampart/env'
 */
export function readSecretsDir(env: Environment): string | undefined {
  const read = readVariable(componentEnv.secretsDir, env);
  if (read.problem === MISSING) return undefined;
  if (read.problem !== undefined || typeof read.value !== 'string')
    throw new TypeError(describe(componentEnv.secretsDir, INVALID));
  return read.value;
}

/**
 * `RAMPART_LISTEN_HOST`: the address this component binds its mTLS and admin ports on, `127.0.0.1`
 * when unset. Throws like {@link readComponentEnv}. Components call `listenHost()` (peer-origin.ts).
 *
 * @example
 * readListenHost({ RAMPART_LISTEN_HOST: '0.0.0.0' }); // '0.0.0.0'
 */
export function readListenHost(env: Environment): string {
  const read = readVariable(componentEnv.listenHost, env);
  if (read.problem === MISSING) return LOOPBACK_HOST;
  if (read.problem !== undefined)
    throw new TypeError(describe(componentEnv.listenHost, INVALID, read.detail));
  return String(read.value);
}

/**
 * `RAMPART_PEER_HOSTS`: where each peer is reached, by name; empty when unset (every peer on
 * `127.0.0.1`). Throws like {@link readComponentEnv}. Components call `peerOrigin()` (peer-origin.ts).
 *
 * @example
 * readPeerHosts({ RAMPART_PEER_HOSTS: '{"identity":"rampart-identity.shop.svc"}' }).identity;
 */
export function readPeerHosts(env: Environment): Readonly<Record<string, string>> {
  const read = readVariable(componentEnv.peerHosts, env);
  if (read.problem === MISSING) return {};
  if (read.problem !== undefined) throw new TypeError(describe(componentEnv.peerHosts, INVALID, read.detail));
  // Checked against the variable's schema (a record of strings) by readVariable.
  return read.value as Readonly<Record<string, string>>;
}

/** Where a component listens, and its peers are, when nothing says otherwise: this host. */
export const LOOPBACK_HOST = '127.0.0.1';

const MISSING = 'missing';
const INVALID = 'invalid';
type ReadResult =
  | { readonly value: unknown; readonly problem?: never }
  | { readonly problem: typeof MISSING | typeof INVALID; readonly detail?: string };

function readVariable(variable: ComponentVariable, source: Environment): ReadResult {
  const raw = source[variable.name];
  if (raw === undefined || raw === '') return { problem: MISSING };
  const value = decode(variable, raw);
  if (value === undefined || !Value.Check(variable.schema, value)) return { problem: INVALID };
  const detail = variable.refine?.(value);
  return detail === undefined ? { value } : { problem: INVALID, detail };
}

function describe(
  variable: ComponentVariable,
  problem: typeof MISSING | typeof INVALID,
  detail?: string,
): string {
  return problem === MISSING ? missing(variable) : invalid(variable, detail);
}

function decode(variable: ComponentVariable, raw: string): unknown {
  if (variable.encoding !== 'json') return raw;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

function missing(variable: ComponentVariable): string {
  if (variable.channel === 'ipc') {
    return (
      `${variable.name} was not handed over IPC (${variable.meaning}): it is secret, so rampart up ` +
      'hands it over the IPC channel at every start and never in the environment; run the component with `rampart up`, ' +
      `or put it in a file named ${variable.name} in the directory ${componentEnv.secretsDir.name} names`
    );
  }
  return (
    `${variable.name} is not set (${variable.meaning}): run the component with \`rampart up\`, ` +
    `or set ${variable.name} to ${variable.expected}`
  );
}

function invalid(variable: ComponentVariable, detail?: string): string {
  return (
    `${variable.name} must be ${variable.expected} (${variable.meaning})` +
    `${detail === undefined ? '' : `; ${detail}`}: ` +
    `run the component with \`rampart up\`, or fix ${variable.name}`
  );
}
