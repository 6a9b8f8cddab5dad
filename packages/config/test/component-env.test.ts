import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  COMPONENT_KINDS,
  componentEnv,
  componentVariables,
  readComponentEnv,
  readLaunchSecretsMode,
  readLogLevel,
  writeComponentEnv,
  writeLaunchSecretEnv,
} from '@rampart/config';

const gatewayValues = {
  configFile: '/srv/rampart.yaml',
  component: 'gateway',
  stateDir: '/srv/.rampart/gateway',
  launchSecrets: 'ipc',
  internalTokenSigningKeyFile: '/srv/.rampart/keys/gateway-token.key.pem',
  meshUrl: 'https://127.0.0.1:8445',
  meshBundleFile: '/srv/.rampart/mesh/bundle.pem',
  pseudonymKeyFile: '/srv/.rampart/gateway/pseudonym.key',
  edgeCaFile: '/srv/.rampart/ca.pem',
  tlsCertFile: '/srv/.rampart/gateway/tls.pem',
  tlsKeyFile: '/srv/.rampart/gateway/tls.key',
} as const;

/** The error a reader throws, for assertions on its message. */
function readError(read: () => unknown): string {
  try {
    read();
  } catch (error) {
    assert.ok(error instanceof TypeError, 'a deployment mistake is a TypeError');
    return error.message;
  }
  assert.fail('expected the reader to throw');
}

describe('the component contract', () => {
  it('names each variable once, with a meaning, a kind that gets it, and a RAMPART_ name', () => {
    const names = componentVariables().map((variable) => variable.name);
    assert.equal(new Set(names).size, names.length);
    for (const variable of componentVariables()) {
      assert.match(variable.name, /^RAMPART_[A-Z_]+$/);
      assert.ok(variable.meaning.length > 0, variable.name);
      const kinds = Object.keys(variable.components);
      assert.ok(kinds.length > 0, `${variable.name} is given to no component`);
      for (const kind of kinds)
        assert.ok(
          COMPONENT_KINDS.some((known) => known === kind),
          kind,
        );
    }
  });

  it('keeps secrets out of the environment: every secret travels over IPC', () => {
    const secret = componentVariables().filter((variable) => variable.channel === 'ipc');
    assert.deepEqual(
      secret.map((variable) => variable.name),
      [
        componentEnv.clientSecretHashes.name,
        componentEnv.identityBootstrapFile.name,
        componentEnv.alertWebhookSecret.name,
        componentEnv.telemetryHeaders.name,
        componentEnv.sqlPassword.name,
      ],
    );
  });

  it('reads back what it writes', () => {
    const env = writeComponentEnv('gateway', { ...gatewayValues, logLevel: 'debug' });
    assert.equal(env[componentEnv.meshUrl.name], gatewayValues.meshUrl);
    assert.deepEqual(readComponentEnv('gateway', env), { ...gatewayValues, logLevel: 'debug' });

    const secrets = writeLaunchSecretEnv('identity', {
      clientSecretHashes: { 'shop-cli': 'sha256:abc' },
      identityBootstrapFile: '/srv/.rampart/identity/bootstrap.json',
      sqlPassword: 'pw',
    });
    assert.equal(secrets[componentEnv.clientSecretHashes.name], '{"shop-cli":"sha256:abc"}');
    const identityEnv = writeComponentEnv('identity', {
      configFile: '/srv/rampart.yaml',
      component: 'identity',
      stateDir: '/srv/.rampart/identity',
      keyringFile: '/srv/.rampart/keyring/identity/keyring.json',
      pseudonymKeyFile: '/srv/.rampart/keyring/identity/pseudonym.key',
      meshUrl: 'https://127.0.0.1:8445',
      meshBundleFile: '/srv/.rampart/mesh/bundle.pem',
    });
    const identity = readComponentEnv('identity', identityEnv, secrets);
    assert.deepEqual(identity.clientSecretHashes, { 'shop-cli': 'sha256:abc' });
    assert.equal(identity.identityBootstrapFile, '/srv/.rampart/identity/bootstrap.json');
    // Read through rampart.yaml's `${env:…}` reference, never by name.
    assert.equal('sqlPassword' in identity, false);
  });

  it('the writer is typed per kind: a missing, misspelt or foreign variable does not compile', () => {
    const mesh = {
      configFile: '/srv/rampart.yaml',
      component: 'mesh',
      stateDir: '/srv/.rampart/mesh',
      internalTokenSigningKeyFile: '/srv/.rampart/keys/internal-token.key.pem',
    } as const;
    // Type-checked by `tsc` (each line must be an error), never run.
    const wrong = [
      // @ts-expect-error the mesh must get its public key
      () => writeComponentEnv('mesh', mesh),
      // @ts-expect-error a misspelt variable
      () => writeComponentEnv('mesh', { ...mesh, internalTokenKeyFile: '/k', meshUrll: 'https://x' }),
      // @ts-expect-error the mesh is not given a mesh URL: it is the mesh
      () => writeComponentEnv('mesh', { ...mesh, internalTokenKeyFile: '/k', meshUrl: 'https://x' }),
    ];
    assert.equal(wrong.length, 3);
    assert.ok(
      writeComponentEnv('mesh', {
        ...mesh,
        internalTokenKeyFile: '/srv/.rampart/keys/internal-token.pub.pem',
      }),
    );
  });

  it('the writer refuses a value the contract does not allow, naming the variable', () => {
    assert.throws(
      () => writeComponentEnv('gateway', { ...gatewayValues, meshUrl: 'http://127.0.0.1:8445' }),
      new RegExp(`^TypeError: ${componentEnv.meshUrl.name} must be an https:// URL`),
    );
  });

  const gatewayEnv = writeComponentEnv('gateway', gatewayValues);
  const refused: [string, Record<string, string | undefined>, string, RegExp][] = [
    [
      'a missing variable',
      { ...gatewayEnv, [componentEnv.tlsCertFile.name]: undefined },
      componentEnv.tlsCertFile.name,
      /is not set \(the gateway's public certificate chain .*\): run the component with `rampart up`, or set RAMPART_TLS_CERT to an absolute path$/m,
    ],
    [
      'an empty variable',
      { ...gatewayEnv, [componentEnv.configFile.name]: '' },
      componentEnv.configFile.name,
      /RAMPART_CONFIG is not set/,
    ],
    [
      'a relative path',
      { ...gatewayEnv, [componentEnv.tlsKeyFile.name]: 'gateway/tls.key' },
      componentEnv.tlsKeyFile.name,
      /RAMPART_TLS_KEY must be an absolute path \(.*\): run the component with `rampart up`, or fix RAMPART_TLS_KEY$/m,
    ],
    [
      'a URL that is not https',
      { ...gatewayEnv, [componentEnv.meshUrl.name]: 'http://127.0.0.1:8445' },
      componentEnv.meshUrl.name,
      /RAMPART_MESH_URL must be an https:\/\/ URL/,
    ],
    [
      'an unknown log level',
      { ...gatewayEnv, [componentEnv.logLevel.name]: 'verbose' },
      componentEnv.logLevel.name,
      /RAMPART_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/,
    ],
    [
      "another component's name",
      { ...gatewayEnv, [componentEnv.component.name]: 'identity' },
      componentEnv.component.name,
      /RAMPART_COMPONENT must be "gateway"/,
    ],
  ];
  for (const [what, env, name, message] of refused) {
    it(`the reader refuses ${what}, naming ${name} and the fix, never the value`, () => {
      const text = readError(() => readComponentEnv('gateway', env));
      assert.match(text, /^the gateway's environment is not what rampart up gives it:\n {2}/);
      assert.match(text, message);
      for (const value of ['gateway/tls.key', 'http://127.0.0.1:8445', 'verbose']) {
        if (env[name] === value) assert.ok(!text.includes(value), 'the value is not echoed');
      }
    });
  }

  it('reports every problem at once', () => {
    const text = readError(() => readComponentEnv('gateway', {}));
    for (const name of [
      componentEnv.configFile.name,
      componentEnv.tlsCertFile.name,
      componentEnv.meshUrl.name,
    ]) {
      assert.ok(text.includes(`${name} is not set`), name);
    }
  });

  it('a secret is read only from what came over IPC: one set in the environment is not honoured', () => {
    const identityEnv = {
      ...writeComponentEnv('identity', {
        configFile: '/srv/rampart.yaml',
        component: 'identity',
        stateDir: '/srv/.rampart/identity',
        keyringFile: '/srv/.rampart/keyring/identity/keyring.json',
        pseudonymKeyFile: '/srv/.rampart/keyring/identity/pseudonym.key',
        meshUrl: 'https://127.0.0.1:8445',
        meshBundleFile: '/srv/.rampart/mesh/bundle.pem',
      }),
      ...writeLaunchSecretEnv('identity', {
        clientSecretHashes: {},
        identityBootstrapFile: '/srv/.rampart/identity/bootstrap.json',
      }),
    };
    const text = readError(() => readComponentEnv('identity', identityEnv));
    assert.match(
      text,
      /RAMPART_CLIENT_SECRETS was not handed over IPC \(.*\): it is secret, so rampart up hands it over the IPC channel at every start and never in the environment/,
    );
    assert.match(
      readError(() =>
        readComponentEnv('identity', identityEnv, { [componentEnv.clientSecretHashes.name]: '{not json' }),
      ),
      /RAMPART_CLIENT_SECRETS must be a JSON object of client ids to secret hashes/,
    );
  });

  it('optional variables may be absent: a service in process has no mesh, keyring or pseudonym key', () => {
    const env = writeComponentEnv('service', {
      configFile: '/srv/rampart.yaml',
      component: 'orders',
      stateDir: '/srv/.rampart/services/orders',
      internalTokenKeyFile: '/srv/.rampart/keys/internal-token.pub.pem',
    });
    assert.deepEqual(readComponentEnv('service', env), {
      configFile: '/srv/rampart.yaml',
      component: 'orders',
      stateDir: '/srv/.rampart/services/orders',
      internalTokenKeyFile: '/srv/.rampart/keys/internal-token.pub.pem',
    });
  });

  it('the log level and the launch-secrets marker are read before the rest, with the same checks', () => {
    assert.equal(readLogLevel({}), 'info');
    assert.equal(readLogLevel({ [componentEnv.logLevel.name]: 'warn' }), 'warn');
    assert.throws(
      () => readLogLevel({ [componentEnv.logLevel.name]: 'loud' }),
      /RAMPART_LOG_LEVEL must be one of/,
    );
    assert.equal(readLaunchSecretsMode({}), undefined);
    assert.equal(readLaunchSecretsMode({ [componentEnv.launchSecrets.name]: 'ipc' }), 'ipc');
    assert.throws(
      () => readLaunchSecretsMode({ [componentEnv.launchSecrets.name]: 'env' }),
      /RAMPART_LAUNCH_SECRETS must be "ipc"/,
    );
  });
});
