// The component contract end to end: what `rampart up` writes for the shop is what each component
// reads; every variable the contract declares is read by each component it is given to; and no
// code outside the contract spells a variable's name.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import {
  componentEnv,
  componentVariables,
  jsonSchema,
  loadConfig,
  readComponentEnv,
  writeLaunchSecretEnv,
  type ComponentKind,
} from '@rampart/config';
import { planComponents } from '../src/up/component-plan.ts';
import { installationRoot } from '../src/up/installation.ts';
import { stateDirFor } from '../src/up/state-dir.ts';

const root = installationRoot();
const shopFile = join(root, 'examples/shop/rampart.yaml');

/** The launch secrets `rampart up` hands each kind (values made up; names and types real). */
function launchSecretsOf(kind: ComponentKind): Record<string, string> {
  switch (kind) {
    case 'identity':
      return writeLaunchSecretEnv('identity', {
        clientSecretHashes: { 'shop-cli': 'sha256:0000' },
        identityBootstrapFile: join(root, 'examples/shop/.rampart/identity/bootstrap.json'),
        sqlPassword: 'from-provisioning',
      });
    case 'service':
      return writeLaunchSecretEnv('service', { sqlPassword: 'from-provisioning' });
    case 'mesh':
    case 'audit':
    case 'gateway':
      return {};
  }
}

describe("the shop's plan, read back by each component", async () => {
  const loaded = await loadConfig(shopFile);
  assert.ok(loaded.ok);
  const plans = planComponents(loaded.config, {
    configFile: loaded.file,
    state: stateDirFor(loaded.file),
    logLevel: 'info',
  });

  it('serves a service with `upstream` by the sidecar, which alone may start a child process', () => {
    const reviews = plans.find((plan) => plan.name === 'reviews');
    assert.equal(reviews?.kind, 'service');
    assert.equal(reviews.entry, join(root, 'services/sidecar/src/main.ts'));
    assert.equal(reviews.allowChildProcess, true);
    assert.deepEqual(
      plans
        .filter((plan) => plan.allowChildProcess === true)
        .map((plan) => plan.name)
        .sort(),
      ['reviews', 'stock'],
    );
  });

  it('plans every kind of component', () => {
    assert.deepEqual([...new Set(plans.map((plan) => plan.kind))].sort(), [
      'audit',
      'gateway',
      'identity',
      'mesh',
      'service',
    ]);
  });

  for (const plan of plans) {
    it(`${plan.name} (${plan.kind}) reads what rampart up writes for it`, () => {
      const read = readComponentEnv(plan.kind, plan.env, launchSecretsOf(plan.kind));
      assert.equal(read.configFile, loaded.file);
      assert.equal(read.component, plan.name);
      if (plan.kind !== 'gateway') assert.equal(plan.env[componentEnv.stateDir.name], plan.stateDir);
      // Every variable the contract gives this kind was written, and nothing else (those the
      // Kubernetes manifests set are not rampart up's to write).
      const given = componentVariables().filter(
        (variable) =>
          variable.channel === 'env' &&
          variable.components[plan.kind] !== undefined &&
          variable.setBy !== 'kubernetes',
      );
      assert.deepEqual(Object.keys(plan.env).sort(), given.map((variable) => variable.name).sort());
    });
  }

  it('a component missing a variable is told which one and how to fix it', () => {
    const gateway = plans.find((plan) => plan.kind === 'gateway');
    assert.ok(gateway);
    const env = { ...gateway.env, [componentEnv.edgeCaFile.name]: undefined };
    assert.throws(
      () => readComponentEnv('gateway', env),
      new RegExp(
        `^TypeError: the gateway's environment is not what rampart up gives it:\\n  ${componentEnv.edgeCaFile.name} is not set .*run the component with \`rampart up\`, or set ${componentEnv.edgeCaFile.name} to an absolute path$`,
      ),
    );
  });
});

/** The source of each kind's reading side. */
const READERS: Record<ComponentKind, readonly string[]> = {
  mesh: ['services/mesh/src/main.ts', 'packages/sdk/src/boot.ts'],
  identity: ['services/identity/src/main.ts', 'packages/sdk/src/boot.ts'],
  audit: ['services/audit/src/main.ts', 'packages/sdk/src/boot.ts'],
  gateway: ['services/gateway/src/main.ts', 'packages/sdk/src/boot.ts'],
  service: [
    'packages/sdk/src/service.ts',
    'packages/sdk/src/mesh-endpoint.ts',
    'packages/sdk/src/boot.ts',
    'packages/sdk/src/launch-secrets.ts',
    'services/sidecar/src/sidecar.ts',
  ],
};

/** Variables read before the rest, by a function of their own rather than a property of the result. */
const READ_BY_CALL: Partial<Record<keyof typeof componentEnv, RegExp>> = {
  logLevel: /\breadLogLevel\(|\.logLevel\b/,
  launchSecrets: /\breceiveLaunchSecrets\(|\breadLaunchSecretsMode\(/,
  secretsDir: /\breceiveLaunchSecrets\(|\breadSecretsDir\(/,
};

/**
 * Variables read where the component listens or dials (`listenHost()`, `peerOrigin()` of
 * @rampart/config), not at boot: the files that call them, per kind.
 */
const READ_WHERE_USED: Partial<
  Record<keyof typeof componentEnv, { pattern: RegExp; files: Readonly<Record<string, readonly string[]>> }>
> = {
  listenHost: {
    pattern: /\blistenHost\(\)/,
    files: {
      // Every admin port, identity's mTLS port (listenOn); the others' mTLS ports.
      mesh: ['packages/sdk/src/admin-server.ts', 'services/mesh/src/app.ts'],
      identity: ['packages/sdk/src/admin-server.ts'],
      audit: ['packages/sdk/src/admin-server.ts', 'services/audit/src/app.ts'],
      gateway: ['services/gateway/src/app.ts'],
      service: [
        'packages/sdk/src/admin-server.ts',
        'packages/sdk/src/service.ts',
        'services/sidecar/src/sidecar.ts',
      ],
    },
  },
  peerHosts: {
    pattern: /\bpeerOrigin\(/,
    files: {
      gateway: ['services/gateway/src/app.ts', 'services/gateway/src/forward/upstreams.ts'],
      audit: ['services/audit/src/api/identity-client.ts'],
      service: ['packages/sdk/src/service-client.ts'],
    },
  },
};

describe('no dead entries: every variable is read by every component it is given to', () => {
  for (const variable of componentVariables()) {
    for (const kind of Object.keys(variable.components) as ComponentKind[]) {
      it(`${variable.name} is read by the ${kind}`, () => {
        if (variable.readThrough === 'reference') {
          // Read in rampart.yaml, as `${env:NAME}` where the schema tells the user to write it.
          assert.ok(JSON.stringify(jsonSchema()).includes(`\${env:${variable.name}}`));
          return;
        }
        const whereUsed = READ_WHERE_USED[variable.key];
        if (whereUsed !== undefined) {
          const files = whereUsed.files[kind] ?? [];
          assert.ok(files.length > 0, `no file of the ${kind} is listed for ${variable.key}`);
          for (const file of files) {
            assert.match(
              readFileSync(join(root, file), 'utf8'),
              whereUsed.pattern,
              `${file} never reads ${variable.key}`,
            );
          }
          return;
        }
        const source = READERS[kind].map((file) => readFileSync(join(root, file), 'utf8')).join('\n');
        const pattern =
          variable.key === 'component' && kind !== 'service'
            ? // The reader itself (called by the boot) checks that the mesh, identity and the gateway are what they are.
              new RegExp(`\\b(readComponentEnv\\(|bootComponent\\(\\{\\s*kind: )'${kind}'`)
            : (READ_BY_CALL[variable.key] ?? new RegExp(`\\b(env|read)\\.${variable.key}\\b`));
        assert.ok(pattern.test(source), `${READERS[kind].join(', ')} never reads ${variable.key}`);
      });
    }
  }
});

describe('ARCHITECTURE.md documents the contract in one table', () => {
  it('lists every variable', () => {
    const doc = readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8');
    for (const variable of componentVariables()) {
      const row = new RegExp(`^\\| \`${variable.name}\` +\\| \`${variable.key}\` +\\|`, 'm');
      assert.ok(row.test(doc), variable.name);
    }
  });
});

describe('no variable name is spelt outside the contract', () => {
  const contractModule = 'packages/config/src/component-env.ts';
  const names = componentVariables().map((variable) => variable.name);
  const pattern = new RegExp(`\\b(${names.join('|')})\\b`);
  const sources = ['packages', 'services', 'apps', 'test'].flatMap((dir) => typeScriptFiles(join(root, dir)));

  it('in code (comments may name a variable; tests assert on the messages through constants)', () => {
    const offending: string[] = [];
    for (const file of sources) {
      const path = relative(root, file);
      if (path === contractModule || path.startsWith('packages/config/test/')) continue;
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, index) => {
          const code = line.replace(/^\s*(\/\/|\*|\/\*).*$/, '').replace(/\s\/\/.*$/, '');
          if (pattern.test(code)) offending.push(`${path}:${index + 1}: ${line.trim()}`);
        });
    }
    assert.deepEqual(offending, [], 'use componentEnv.<key>.name, or the writer and reader');
  });
});

function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return typeScriptFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}
