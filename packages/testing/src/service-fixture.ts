import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeComponentEnv, type RampartConfig } from '@rampart/config';
import {
  createTokenKeys,
  mintInternalToken,
  type InternalTokenClaims,
  type MintOptions,
  type TokenKeys,
} from './token-keys.ts';
import { tempDir } from './temp-dir.ts';

export interface ServiceFixtureOptions {
  /** The service under test, a key of `services`. */
  readonly component: string;
  /** Either a configuration to write (as JSON, which is YAML) … */
  readonly config?: RampartConfig;
  /** … or an existing rampart.yaml to use as it is. */
  readonly configFile?: string;
}

export interface ServiceFixture {
  /** The environment `rampart up` would give the service. */
  readonly env: Readonly<Record<string, string>>;
  readonly keys: TokenKeys;
  readonly dir: string;
  /** Mints a token for this service: `aud` defaults to the component. */
  token(claims: Omit<InternalTokenClaims, 'aud'> & { aud?: string }, options?: MintOptions): Promise<string>;
  cleanup(): Promise<void>;
}

/**
 * Everything a service needs to start in a test: a temp dir with the config, a 0700 state dir,
 * a token key pair with the public half on disk, and the service's environment (`writeComponentEnv`).
 *
 * @example
 * const fixture = await createServiceFixture({ component: 'orders', configFile: shopConfig });
 * const svc = await createService({ env: fixture.env });
 * const token = await fixture.token({ sub: 'alice', scope: 'orders:read' });
 */
export async function createServiceFixture(options: ServiceFixtureOptions): Promise<ServiceFixture> {
  const dir = await tempDir('rampart-service-');
  const keys = await createTokenKeys();
  let configFile = options.configFile;
  if (configFile === undefined) {
    if (options.config === undefined) throw new TypeError('createServiceFixture needs config or configFile');
    configFile = join(dir.path, 'rampart.yaml');
    writeFileSync(configFile, JSON.stringify(options.config, null, 2), { mode: 0o600 });
  }
  const stateDir = join(dir.path, '.rampart', 'services', options.component);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const keysDir = join(dir.path, '.rampart', 'keys');
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  return {
    // In process, without the mesh: `inject()` only, as the contract allows a service.
    env: writeComponentEnv('service', {
      configFile,
      component: options.component,
      stateDir,
      keyringFile: join(dir.path, '.rampart', 'keyring', options.component, 'keyring.json'),
      internalTokenKeyFile: keys.publicKeyFile(keysDir),
    }),
    keys,
    dir: dir.path,
    token: (claims, mintOptions) =>
      mintInternalToken(keys.privateKey, { aud: options.component, ...claims }, mintOptions),
    cleanup: () => dir.cleanup(),
  };
}
