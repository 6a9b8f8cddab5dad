import { componentEnv, readComponentEnv, type Environment } from '@rampart/config';
import { requiredJoinToken, type LaunchSecrets } from './launch-secrets.ts';

export type { Environment } from '@rampart/config';

/**
 * What `rampart up` gives every service process, read through the component contract
 * (`componentEnv` in `@rampart/config`, where each variable is named and described).
 */
export interface ServiceEnv {
  /** Absolute path of rampart.yaml. */
  readonly configFile: string;
  /** This service's name, a key of `services` in the config. */
  readonly component: string;
  /** The service's own writable directory (0700). */
  readonly stateDir: string;
  /** Absolute path of the PEM (SPKI) Ed25519 key verifying internal tokens. */
  readonly internalTokenKeyFile: string;
  /** The keyring file for field encryption, kept apart from the data (0600). */
  readonly keyringFile: string | undefined;
  /** The key file pseudonymizing subjects in security events. */
  readonly pseudonymKeyFile: string | undefined;
  /** The log level, `info` when unset. */
  readonly logLevel: string;
  /** How to join the mesh; absent only for in-process tests, which cannot listen. */
  readonly mesh: MeshEnv | undefined;
}

/** The mesh variables `rampart up` sets (both, or none), and the join token it hands over IPC. */
export interface MeshEnv {
  /** The mesh authority, e.g. https://127.0.0.1:8445. */
  readonly url: string;
  /** Absolute path of the trust bundle (PEM CA certificates). */
  readonly bundleFile: string;
  /**
   * The one-time token that proves this process is the service it claims: from the launch
   * secrets (`receiveLaunchSecrets`), never from an environment variable.
   */
  readonly joinToken: string;
}

const MESH_VARIABLES = [componentEnv.meshUrl.name, componentEnv.meshBundleFile.name] as const;

/**
 * Reads the service environment (`readComponentEnv('service', …)`), with the secrets `rampart up`
 * handed over IPC (the join token). A missing or invalid variable is a deployment mistake, so it
 * throws a `TypeError` naming the variable and the fix.
 *
 * @example
 * const { configFile, component, stateDir } = readServiceEnv(process.env, await receiveLaunchSecrets());
 */
export function readServiceEnv(env: Environment, secrets: LaunchSecrets = { env: {} }): ServiceEnv {
  const read = readComponentEnv('service', env, secrets.env);
  return {
    configFile: read.configFile,
    component: read.component,
    stateDir: read.stateDir,
    internalTokenKeyFile: read.internalTokenKeyFile,
    keyringFile: read.keyringFile,
    pseudonymKeyFile: read.pseudonymKeyFile,
    logLevel: read.logLevel ?? 'info',
    mesh: meshEnv(read.meshUrl, read.meshBundleFile, secrets),
  };
}

function meshEnv(
  url: string | undefined,
  bundleFile: string | undefined,
  secrets: LaunchSecrets,
): MeshEnv | undefined {
  if (url === undefined && bundleFile === undefined) return undefined;
  if (url === undefined || bundleFile === undefined) {
    const missing = url === undefined ? MESH_VARIABLES[0] : MESH_VARIABLES[1];
    throw new TypeError(
      `${missing} not set: the mesh variables come together (${MESH_VARIABLES.join(', ')}); ` +
        'run the service with `rampart up`, or set both yourself',
    );
  }
  return { url, bundleFile, joinToken: requiredJoinToken(secrets) };
}
