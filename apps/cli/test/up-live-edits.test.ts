import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  UpProcess,
  freePlatformPorts,
  getJson,
  portsYaml,
  repoRoot,
  tempConfigDir,
  writeConfig,
} from '@rampart/testing';

const picky = join(repoRoot, 'apps/cli/test/fixtures/picky/main.ts');

interface Ready {
  readonly revision: number;
  readonly sensitive?: readonly string[];
}

async function readyz(port: number): Promise<Ready> {
  return (await getJson(`http://127.0.0.1:${port}/readyz`)).body as Ready;
}

describe('rampart up: a live edit is applied by every component or by none', () => {
  const { dir, cleanup } = tempConfigDir();
  let up: UpProcess | undefined;
  let file = '';
  let config: (sensitive: { alpha: string; beta: string }, betaEntry?: string) => string;
  /** Admin ports of the mesh authority, identity, the gateway, alpha and beta. */
  let admins: Record<string, number> = {};

  before(async () => {
    const {
      platform,
      extra: [alpha, alphaAdmin, beta, betaAdmin],
    } = await freePlatformPorts(4);
    admins = {
      mesh: platform.meshAdmin,
      identity: platform.identityAdmin,
      audit: platform.auditAdmin,
      gateway: platform.admin,
      alpha: alphaAdmin!,
      beta: betaAdmin!,
    };
    config = (sensitive, betaEntry = picky) => `version: 1
name: live-edits
${portsYaml(platform)}
services:
  alpha:
    entry: ${picky}
    port: ${alpha}
    adminPort: ${alphaAdmin}
    callers: [gateway]
    sensitive: [${sensitive.alpha}]
  beta:
    entry: ${betaEntry}
    port: ${beta}
    adminPort: ${betaAdmin}
    callers: [gateway]
    sensitive: [${sensitive.beta}]
`;
    file = writeConfig(dir, config({ alpha: 'email', beta: 'email' }));
    up = new UpProcess(file, ['--ready-timeout', '60']);
    await up.waitFor(/live-edits is up in/, 150_000);
  });

  after(async () => {
    await up?.stop();
    cleanup();
  });

  async function revisions(): Promise<Record<string, number>> {
    const entries = await Promise.all(
      Object.entries(admins).map(async ([name, port]) => [name, (await readyz(port)).revision] as const),
    );
    return Object.fromEntries(entries);
  }

  function everyComponentOn(revision: number): Record<string, number> {
    return Object.fromEntries(Object.keys(admins).map((name) => [name, revision]));
  }

  it('an edit one component refuses leaves every component on the previous config, and says who and why', async () => {
    const from = up!.output.length;
    // alpha accepts its part of the edit; beta refuses its part.
    writeFileSync(file, config({ alpha: 'email, phone', beta: 'email, notes' }));
    const refused = await up!.waitFor(/✗ edit to .* refused by .*\n.*\n/, 30_000, from);
    assert.match(refused, /refused by beta; every component is back on the previous config \(revision 2\)/);
    assert.match(refused, /beta\s+field notes cannot be sensitive: this service searches it/);
    assert.doesNotMatch(up!.output.slice(from), /✓ applied/);
    // Revision 1 was refused; revision 2 carries the previous config to every component.
    assert.deepEqual(await revisions(), everyComponentOn(2));
    assert.deepEqual(
      (await readyz(admins['alpha']!)).sensitive,
      ['email'],
      'alpha is back on the previous content',
    );
    assert.deepEqual((await readyz(admins['beta']!)).sensitive, ['email']);
  });

  it('a good edit is reported applied only once every component has answered', async () => {
    const from = up!.output.length;
    // beta takes 1.5 s to answer: "applied" must wait for it.
    writeFileSync(file, config({ alpha: 'email, phone', beta: 'email, slow' }));
    await up!.waitFor(/✓ applied .* as revision 3/, 30_000, from);
    const output = up!.output.slice(from);
    const betaApplied = output.search(/beta\s+applied revision 3/);
    assert.ok(betaApplied >= 0, output);
    assert.ok(betaApplied < output.search(/✓ applied/), `applied printed before beta answered:\n${output}`);
    assert.deepEqual(await revisions(), everyComponentOn(3));
    assert.deepEqual((await readyz(admins['alpha']!)).sensitive, ['email', 'phone']);
  });

  it('an edit whose restarted component does not come up is rolled back everywhere, and the component restarted as it was', async () => {
    const from = up!.output.length;
    // beta's entry changes (it must restart) to one that imports a module that does not exist;
    // alpha reloads.
    const broken = join(dir, 'broken-beta');
    mkdirSync(broken, { mode: 0o755 });
    writeFileSync(join(broken, 'main.ts'), "import './helpr.ts';\n", { mode: 0o644 });
    writeFileSync(file, config({ alpha: 'email', beta: 'email' }, join(broken, 'main.ts')));
    const refused = await up!.waitFor(/✗ edit to .* refused by .*\n.*\n/, 60_000, from);
    assert.match(refused, /refused by beta; every component is back on the previous config \(revision 5\)/);
    assert.match(refused, /beta\s+.*exited \(code 1\) before it was ready: ERR_MODULE_NOT_FOUND .*helpr\.ts/);
    assert.doesNotMatch(up!.output.slice(from), /✓ applied/);
    assert.deepEqual(await revisions(), everyComponentOn(5));
    assert.deepEqual((await readyz(admins['alpha']!)).sensitive, ['email', 'phone']);
  });
});
