import { componentEnv, readLaunchSecretsMode, readSecretsDir, type Environment } from '@rampart/config';
import { readSecretsDirectory } from './secrets-dir.ts';

/**
 * What `rampart up` hands a component at each (re)start over the IPC channel only that process
 * holds — never in its environment (`/proc/<pid>/environ`) or on its command line, where another
 * process of the same user, a crash report or a child process could read it.
 */
export interface LaunchSecrets {
  /** The one-time token that proves this process is the workload it claims (it joins the mesh with it). */
  readonly joinToken?: string;
  /**
   * Secret variables: the contract's (`componentEnv` entries whose channel is `ipc`, read with
   * `readComponentEnv`) and those the component resolves `${env:NAME}` references with (a
   * service's SQL password, a Redis URL's password).
   */
  readonly env: Readonly<Record<string, string>>;
}

/** The component's request, and the supervisor's one answer to it. */
export const LAUNCH_SECRETS_REQUEST = 'launch.secrets.request';
export const LAUNCH_SECRETS_REPLY = 'launch.secrets';

const DEFAULT_TIMEOUT_MS = 10_000;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The side of the IPC channel a component holds (`process`, or a stand-in in tests). */
export interface LaunchChannel {
  send?: ((message: unknown) => boolean) | undefined;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

export interface ReceiveLaunchSecretsOptions {
  /** Where to look for `componentEnv.launchSecrets`; default `process.env`. */
  readonly env?: Environment;
  /** The IPC channel; default `process`. */
  readonly channel?: LaunchChannel;
  /** Where the secret variables go so `${env:NAME}` references resolve; default `process.env`. */
  readonly target?: Record<string, string | undefined>;
  readonly timeoutMs?: number;
}

let received: Promise<LaunchSecrets> | undefined;

/**
 * Asks `rampart up` for this process's secrets, once (later calls share the answer): the join
 * token is returned, and the secret variables are set in this process's own environment table
 * (`process.env`), which — unlike the environment it was started with — no other process can read.
 * Outside `rampart up` (no `componentEnv.launchSecrets` variable) there is nothing to receive: `{ env: {} }`.
 * Where no `rampart up` can hand them over (Kubernetes), `componentEnv.secretsDir` names a directory
 * whose files hold them, one per variable (`readSecretsDirectory`: regular files no other user can
 * read); the two ways exclude each other.
 *
 * @example
 * const secrets = await receiveLaunchSecrets();
 * const identity = await startWorkloadIdentity({ ...options, joinToken: requiredJoinToken(secrets) });
 */
export function receiveLaunchSecrets(options: ReceiveLaunchSecretsOptions = {}): Promise<LaunchSecrets> {
  const custom = options.channel !== undefined || options.env !== undefined || options.target !== undefined;
  if (custom) return receive(options);
  received ??= receive(options);
  return received;
}

async function receive(options: ReceiveLaunchSecretsOptions): Promise<LaunchSecrets> {
  const env = options.env ?? process.env;
  const secretsDir = readSecretsDir(env);
  const mode = readLaunchSecretsMode(env);
  if (secretsDir !== undefined) {
    if (mode !== undefined) {
      throw new TypeError(
        `${componentEnv.secretsDir.name} and ${componentEnv.launchSecrets.name} are both set: ` +
          'a component gets its secrets from rampart up over IPC or from a directory, never both',
      );
    }
    return deliver({ env: await readSecretsDirectory(secretsDir) }, options);
  }
  if (mode === undefined) return { env: {} };
  const channel = options.channel ?? process;
  if (channel.send === undefined) {
    throw new TypeError(
      `${componentEnv.launchSecrets.name}=ipc but this process has no IPC channel: start it with rampart up`,
    );
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const secrets = await new Promise<LaunchSecrets>((resolve, reject) => {
    const timer = setTimeout(() => {
      channel.off('message', onMessage);
      reject(new Error(`rampart up did not hand over this process's secrets within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (message: unknown): void => {
      if (!isReply(message)) return;
      clearTimeout(timer);
      channel.off('message', onMessage);
      try {
        resolve(parseReply(message));
      } catch (error) {
        reject(error instanceof Error ? error : new TypeError(String(error)));
      }
    };
    channel.on('message', onMessage);
    channel.send?.({ type: LAUNCH_SECRETS_REQUEST });
  });
  return deliver(secrets, options);
}

/** Sets the secret variables in this process's own environment table, where `${env:NAME}` resolves. */
function deliver(secrets: LaunchSecrets, options: ReceiveLaunchSecretsOptions): LaunchSecrets {
  const target = options.target ?? process.env;
  for (const [name, value] of Object.entries(secrets.env)) target[name] = value;
  return secrets;
}

function isReply(message: unknown): message is { type: string; joinToken?: unknown; env?: unknown } {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { type?: unknown }).type === LAUNCH_SECRETS_REPLY
  );
}

function parseReply(message: { joinToken?: unknown; env?: unknown }): LaunchSecrets {
  const { joinToken, env } = message;
  if (joinToken !== undefined && (typeof joinToken !== 'string' || joinToken.length === 0)) {
    throw new TypeError('the launch secrets carry a join token that is not a string');
  }
  if (typeof env !== 'object' || env === null || Array.isArray(env)) {
    throw new TypeError('the launch secrets carry no variables object');
  }
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!VARIABLE_NAME.test(name) || typeof value !== 'string') {
      throw new TypeError('the launch secrets carry a variable that is not NAME=string');
    }
    variables[name] = value;
  }
  return { ...(joinToken === undefined ? {} : { joinToken }), env: variables };
}

/**
 * The join token, or a `TypeError` saying where it should have come from.
 *
 * @example
 * const joinToken = requiredJoinToken(await receiveLaunchSecrets());
 */
export function requiredJoinToken(secrets: LaunchSecrets): string {
  if (secrets.joinToken === undefined) {
    throw new TypeError(
      'no mesh join token: rampart up hands it over IPC at every start (never in the environment); ' +
        'run the component with rampart up',
    );
  }
  return secrets.joinToken;
}
