import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RampartConfig } from '@rampart/config';
import { LastError } from '../src/up/last-error.ts';
import { namePorts } from '../src/up/port-names.ts';

/** What Node prints on stderr when a server's listen fails and nothing handles the error. */
const UNHANDLED_EADDRINUSE = `node:events:486
      throw er; // Unhandled 'error' event
      ^

Error: listen EADDRINUSE: address already in use 127.0.0.1:8444
    at Server.setupListenHandle [as _listen2] (node:net:1940:16)
Emitted 'error' event on Server instance at:
    at emitErrorNT (node:net:1919:8) {
  code: 'EADDRINUSE',
  errno: -98,
  syscall: 'listen',
  address: '127.0.0.1',
  port: 8444
}

Node.js v24.11.0`;

describe('the last error line of a component that stopped', () => {
  it('is the headline of an uncaught error on stderr, not the stack or the version banner', () => {
    const last = new LastError();
    for (const line of UNHANDLED_EADDRINUSE.split('\n')) last.stderrLine(line);
    assert.equal(last.line, 'Error listen EADDRINUSE: address already in use 127.0.0.1:8444');
  });

  it('is an error-level log record with the message of the error it carries', () => {
    const last = new LastError();
    last.logRecord({
      msg: 'identity failed to start',
      err: { message: 'listen EADDRINUSE: address already in use 127.0.0.1:8444', code: 'EADDRINUSE' },
    });
    assert.equal(
      last.line,
      'identity failed to start: listen EADDRINUSE: address already in use 127.0.0.1:8444',
    );
  });

  it('names the rampart.yaml key of a port it mentions', () => {
    const config: RampartConfig = {
      version: 1,
      name: 'x',
      services: { orders: { entry: 'o.ts', port: 7102 } },
    };
    assert.equal(
      namePorts('EADDRINUSE 127.0.0.1:8444', config),
      'EADDRINUSE 127.0.0.1:8444 (ports.identity)',
    );
    assert.match(namePorts('in use 127.0.0.1:8102', config), /\(services\.orders\.adminPort/);
    assert.equal(namePorts('no port here', config), 'no port here');
  });
});
