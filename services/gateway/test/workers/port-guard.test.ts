import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { freePort, reusePortListener } from '@rampart/testing';
import { assertOnlyOwnListeners, assertPortFree } from '../../src/workers/index.ts';

const linux = process.platform === 'linux' ? false : 'reads /proc/net/tcp (Linux)';

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', reusePort: true }, resolve);
  });
}

describe('gateway port guard: no other socket shares ports.gateway', { skip: linux }, () => {
  let port: number;
  let foreign: ChildProcess | undefined;
  const own: Server[] = [];

  before(async () => {
    port = await freePort();
  });
  after(() => {
    foreign?.kill();
    for (const server of own) server.close();
  });

  it('a free port passes', () => {
    assertPortFree(port);
  });

  it('its own worker sockets (this process, SO_REUSEPORT) are no intruders', async () => {
    for (let i = 0; i < 2; i += 1) {
      const server = createServer();
      own.push(server);
      await listen(server, port);
    }
    assertOnlyOwnListeners(port);
  });

  it('a foreign SO_REUSEPORT listener is refused, naming the key, the port and the holder', async () => {
    foreign = await reusePortListener(port);
    assert.throws(
      () => {
        assertOnlyOwnListeners(port);
      },
      (error: Error & { code?: string }) =>
        error.code === 'GW_PORT_IN_USE' &&
        error.message.includes(`ports.gateway: port ${port}`) &&
        /a socket of uid \d+ on 127\.0\.0\.1/.test(error.message),
    );
    for (const server of own.splice(0)) server.close();
    assert.throws(() => {
      assertPortFree(port);
    }, /ports\.gateway: port \d+ is already in use/);
  });
});
