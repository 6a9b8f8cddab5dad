import { isAbsolute } from 'node:path';

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
}

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Reads the service environment. A missing or relative path is a deployment mistake, so it
 * throws a `TypeError` naming the variable.
 *
 * @example
 * const { configFile, component, stateDir } = readServiceEnv(process.env);
 */
export function readServiceEnv(env: Environment): ServiceEnv {
  return {
    configFile: absolutePath(env, 'RAMPART_CONFIG'),
    component: required(env, 'RAMPART_COMPONENT'),
    stateDir: absolutePath(env, 'RAMPART_STATE_DIR'),
    internalTokenKeyFile: absolutePath(env, 'RAMPART_INTERNAL_TOKEN_KEY'),
  };
}

function required(env: Environment, name: string): string {
  const value = env[name];
  if (value === undefined || value.length === 0) {
    throw new TypeError(`${name} is not set: run the service with \`rampart up\`, or set ${name} yourself`);
  }
  return value;
}

function absolutePath(env: Environment, name: string): string {
  const value = required(env, name);
  if (!isAbsolute(value)) throw new TypeError(`${name} must be an absolute path, got a relative one`);
  return value;
}
