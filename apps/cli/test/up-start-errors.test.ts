import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { UpProcess, freePlatformPorts, portsYaml, tempConfigDir, writeConfig } from '@rampart/testing';

async function config(entry: string): Promise<{ yaml: string }> {
  const {
    platform,
    extra: [port, adminPort],
  } = await freePlatformPorts(2);
  return {
    yaml: `version: 1
name: start-errors
${portsYaml(platform)}
services:
  notes:
    entry: ${entry}
    port: ${port}
    adminPort: ${adminPort}
    callers: [gateway]
`,
  };
}

describe('rampart up: a component that fails to start shows its last error line', () => {
  it('an entry that imports a missing module: ERR_MODULE_NOT_FOUND and the module', async () => {
    const { dir, cleanup } = tempConfigDir();
    try {
      const services = join(dir, 'notes');
      mkdirSync(services, { mode: 0o755 });
      writeFileSync(join(services, 'main.ts'), "import './helpr.ts';\n", { mode: 0o644 });
      const up = new UpProcess(writeConfig(dir, (await config(join(services, 'main.ts'))).yaml), [
        '--ready-timeout',
        '60',
      ]);
      assert.equal(await up.exited(), 1);
      assert.match(
        up.output,
        /✗ .*notes exited \(code 1\) before it was ready: ERR_MODULE_NOT_FOUND Cannot find module '.*\/notes\/helpr\.ts'/,
      );
    } finally {
      cleanup();
    }
  });
});
