// Issue 10 item 3: the gateway bound its port with SO_REUSEPORT, so a second `rampart up` (or any
// process of the same user) on the same port started without error and the kernel split the
// connections between the two — about half of the clients talked to the wrong platform.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { parseDocument } from 'yaml';
import {
  childPids,
  freePlatformPorts,
  freePorts,
  portsYaml,
  reusePortListener,
  shopServices,
  tempConfigDir,
  UpProcess,
  writeConfig,
  startShop,
  type RunningShop,
} from '@rampart/testing';

const linux = process.platform === 'linux' ? false : 'names holders from /proc (Linux)';

describe('port hijack: a foreign SO_REUSEPORT listener on the gateway port', { skip: linux }, () => {
  it('makes rampart up refuse before starting anything, naming the key, the port and the holder', async () => {
    const { dir, cleanup } = tempConfigDir();
    const {
      platform,
      extra: [payments],
    } = await freePlatformPorts(1);
    const gateway = platform.gateway;
    const intruder = await reusePortListener(gateway);
    const up = new UpProcess(
      writeConfig(
        dir,
        `version: 1
name: hijacked
${portsYaml(platform)}
services:
  payments:
    entry: ${join(shopServices, 'payments/main.ts')}
    port: ${payments}
    callers: [gateway]
`,
      ),
    );
    try {
      assert.equal(await up.exited(), 1, up.output);
      assert.match(
        up.output,
        new RegExp(`ports\\.gateway: port ${gateway} is in use by pid ${intruder.pid} \\(node, user \\w+\\)`),
      );
      assert.match(up.output, /nothing was started/);
      assert.deepEqual(childPids(up.child.pid!), []);
    } finally {
      intruder.kill();
      await up.stop();
      cleanup();
    }
  });
});

describe('port hijack: a second platform on the ports of a running one', { skip: linux }, () => {
  let shop: RunningShop | undefined;

  before(async () => {
    shop = await startShop();
  });
  after(async () => {
    await shop?.stop();
  });

  it('a second rampart up is refused, a foreign listener cannot join, and every client reaches the first platform', async () => {
    const running = shop!;
    const { dir, cleanup } = tempConfigDir();
    const second = new UpProcess(writeConfig(dir, readFileSync(join(running.dir, 'rampart.yaml'), 'utf8')));
    try {
      assert.equal(await second.exited(), 1, second.output);
      assert.match(
        second.output,
        new RegExp(`ports\\.gateway: port ${running.ports.gateway} is in use by pid \\d+`),
      );
      assert.match(second.output, /services\.orders\.port: port \d+ is in use/);
    } finally {
      await second.stop();
      cleanup();
    }

    // The gateway runs as its own user: the kernel refuses another user's SO_REUSEPORT socket.
    if (process.getuid?.() === 0) {
      const server = createServer();
      const refused = await new Promise<string | undefined>((resolve) => {
        server.once('error', (error: NodeJS.ErrnoException) => {
          resolve(error.code);
        });
        server.listen({ port: running.ports.gateway, host: '127.0.0.1', reusePort: true }, () => {
          server.close();
          resolve(undefined);
        });
      });
      assert.equal(refused, 'EADDRINUSE');
    }

    const ca = readFileSync(join(running.home, 'ca.pem'), 'utf8');
    const issuers = new Set<string>();
    for (let i = 0; i < 24; i += 1) {
      // A fresh connection each time: the kernel picks a listener per connection.
      const agent = new Agent({ connect: { ca }, pipelining: 0 });
      try {
        const response = await request(
          `https://127.0.0.1:${running.ports.gateway}/auth/.well-known/openid-configuration`,
          { dispatcher: agent },
        );
        assert.equal(response.statusCode, 200);
        issuers.add(((await response.body.json()) as { issuer: string }).issuer);
      } finally {
        await agent.close();
      }
    }
    assert.deepEqual([...issuers], [`https://127.0.0.1:${running.ports.gateway}/auth`]);
  });

  it('a live edit that moves a port onto a taken one is refused before anything stops', async () => {
    const running = shop!;
    const [port] = await freePorts(1);
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    try {
      const file = join(running.dir, 'rampart.yaml');
      const doc = parseDocument(readFileSync(file, 'utf8'));
      doc.setIn(['services', 'profiles', 'adminPort'], port);
      const from = running.up.output.length;
      writeFileSync(file, doc.toString());
      await running.up.waitFor(/refused by supervisor/, 60_000, from);
      assert.match(
        running.up.output.slice(from),
        new RegExp(`services\\.profiles\\.adminPort: port ${port} is in use by pid ${process.pid}`),
      );
      assert.doesNotMatch(running.up.output.slice(from), /profiles\s+exited|restarted/);
    } finally {
      holder.close();
    }
  });
});
