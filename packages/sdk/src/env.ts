import { isAbsolute } from 'node:path';
import { requiredJoinToken, type LaunchSecrets } from './launch-secrets.ts';

/** The environment `rampart up` gives every service process. */
export interface ServiceEnv {
  /** `RAMPART_CONFIG`: absolute path of rampart.yaml. */
  readonly configFile: string;
  /** `RAMPART_COMPONENT`: this service's name, a key of `services` in the config. */
  readonly component: string;
  /** `RAMPART_STATE_DIR`: the service's own writable directory (0700). */
  readonly stateDir: string;
  /** `RAMPART_INTERNAL_TOKEN_KEY`: absolute path of the PEM (SPKI) Ed25519 key verifying internal tokens. */
  readonly internalTokenKeyFile: string;
  /** `RAMPART_KEYRING`: the keyring file for field encryption, kept apart from the data (0600). */
  readonly keyringFile: string | undefined;
  /** `RAMPART_PSEUDONYM_KEY`: the key file pseudonymizing subjects in security events. */
  readonly pseudonymKeyFile: string | undefined;
  /** How to join the mesh; absent only for in-process tests, which cannot listen. */
  readonly mesh: MeshEnv | undefined;
}

/** The mesh variables `rampart up` sets (both, or none), and the join token it hands over IPC. */
export interface MeshEnv {
  /** `RAMPART_MESH_URL`: the mesh authority, e.g. https://127.0.0.1:8445. */
  readonly url: string;
  /** `RAMPART_MESH_BUNDLE`: absolute path of the trust bundle (PEM CA certificates). */
  readonly bundleFile: string;
  /**
   * The one-time token that proves this process is the service it claims: from the launch
   * secrets (`receiveLaunchSecrets`), never from an environment variable.
   */
  readonly joinToken: string;
}

const MESH_VARIABLES = ['RAMPART_MESH_URL', 'RAMPART_MESH_BUNDLE'] as const;

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Reads the service environment, with the secrets `rampart up` handed over IPC (the join token).
 * A missing or relative path is a deployment mistake, so it throws a `TypeError` naming the variable.
 *
 * @example
 * const { configFile, component, stateDir } = readServiceEnv(process.env, await receiveLaunchSecrets());
 */
export function readServiceEnv(env: Environment, secrets: LaunchSecrets = { env: {} }): ServiceEnv {
  return {
    configFile: absolutePath(env, 'RAMPART_CONFIG'),
    component: required(env, 'RAMPART_COMPONENT'),
    stateDir: absolutePath(env, 'RAMPART_STATE_DIR'),
    internalTokenKeyFile: absolutePath(env, 'RAMPART_INTERNAL_TOKEN_KEY'),
    keyringFile: env['RAMPART_KEYRING'] === undefined ? undefined : absolutePath(env, 'RAMPART_KEYRING'),
    pseudonymKeyFile:
      env['RAMPART_PSEUDONYM_KEY'] === undefined ? undefined : absolutePath(env, 'RAMPART_PSEUDONYM_KEY'),
    mesh: readMeshEnv(env, secrets),
  };
}

function readMeshEnv(env: Environment, secrets: LaunchSecrets): MeshEnv | undefined {
  const set = MESH_VARIABLES.filter((name) => env[name] !== undefined && env[name] !== '');
  if (set.length === 0) return undefined;
  if (set.length < MESH_VARIABLES.length) {
    const missing = MESH_VARIABLES.filter((name) => !set.includes(name));
    throw new TypeError(
      `${missing.join(', ')} not set: the mesh variables come together (${MESH_VARIABLES.join(', ')})`,
    );
  }
  const url = required(env, 'RAMPART_MESH_URL');
  if (!url.startsWith('https://')) throw new TypeError('RAMPART_MESH_URL must be an https:// URL');
  return {
    url,
    bundleFile: absolutePath(env, 'RAMPART_MESH_BUNDLE'),
    joinToken: requiredJoinToken(secrets),
  };
}

/**
 * A variable `rampart up` sets; a `TypeError` naming it when missing.
 *
 * @example
 * const meshUrl = required(process.env, 'RAMPART_MESH_URL');
 */
export function required(env: Environment, name: string): string {
  const value = env[name];
  if (value === undefined || value.length === 0) {
    throw new TypeError(`${name} is not set: run the service with \`rampart up\`, or set ${name} yourself`);
  }
  return value;
}

/**
 * A path variable `rampart up` sets: present and absolute, else a `TypeError` naming it.
 *
 * @example
 * const bundle = absolutePath(process.env, 'RAMPART_MESH_BUNDLE');
 */
export function absolutePath(env: Environment, name: string): string {
  const value = required(env, name);
  if (!isAbsolute(value)) throw new TypeError(`${name} must be an absolute path, got a relative one`);
  return value;
}
