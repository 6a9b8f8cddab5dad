import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import {
  LAUNCH_SECRETS_REPLY,
  LAUNCH_SECRETS_REQUEST,
  createService,
  receiveLaunchSecrets,
  type LaunchChannel,
} from '@rampart/sdk';
import { componentEnv } from '@rampart/config';
import { createServiceFixture } from '@rampart/testing';
import { TEST_CONFIG } from './service-harness.ts';

/** The component's end of an IPC channel; `answer` is what the supervisor sends back to a request. */
function channel(answer: (request: unknown) => unknown): LaunchChannel & { sent: unknown[] } {
  const events = new EventEmitter();
  const sent: unknown[] = [];
  return {
    sent,
    send(message: unknown) {
      sent.push(message);
      const reply = answer(message);
      if (reply !== undefined) setImmediate(() => events.emit('message', reply));
      return true;
    },
    on: (event, listener) => events.on(event, listener),
    off: (event, listener) => events.off(event, listener),
  };
}

const UNDER_UP = { [componentEnv.launchSecrets.name]: 'ipc' };

describe('launch secrets: handed over IPC, never in the environment', () => {
  it('asks once, returns the join token and sets the secret variables in the process table only', async () => {
    const target: Record<string, string | undefined> = {};
    const ipc = channel(() => ({
      type: LAUNCH_SECRETS_REPLY,
      joinToken: 'one-time',
      env: { [componentEnv.sqlPassword.name]: 'pw' },
    }));
    const secrets = await receiveLaunchSecrets({ env: UNDER_UP, channel: ipc, target });
    assert.deepEqual(ipc.sent, [{ type: LAUNCH_SECRETS_REQUEST }]);
    assert.equal(secrets.joinToken, 'one-time');
    assert.deepEqual(target, { [componentEnv.sqlPassword.name]: 'pw' });
  });

  it('ignores other messages on the channel (a config push) until its answer arrives', async () => {
    const events = new EventEmitter();
    const ipc: LaunchChannel = {
      send() {
        setImmediate(() => {
          events.emit('message', { type: 'config', revision: 1 });
          events.emit('message', { type: LAUNCH_SECRETS_REPLY, joinToken: 't', env: {} });
        });
        return true;
      },
      on: (event, listener) => events.on(event, listener),
      off: (event, listener) => events.off(event, listener),
    };
    assert.equal((await receiveLaunchSecrets({ env: UNDER_UP, channel: ipc, target: {} })).joinToken, 't');
    assert.equal(events.listenerCount('message'), 0);
  });

  it('outside rampart up there is nothing to receive and nothing is asked', async () => {
    const ipc = channel(() => undefined);
    assert.deepEqual(await receiveLaunchSecrets({ env: {}, channel: ipc, target: {} }), { env: {} });
    assert.deepEqual(ipc.sent, []);
  });

  const refused: [string, Record<string, string>, LaunchChannel, RegExp][] = [
    ['no IPC channel', UNDER_UP, { on: () => undefined, off: () => undefined }, /no IPC channel/],
    [
      'a marker that is not ipc',
      { [componentEnv.launchSecrets.name]: 'env' },
      channel(() => undefined),
      /must be "ipc"/,
    ],
    [
      'a variable that is not NAME=string',
      UNDER_UP,
      channel(() => ({ type: LAUNCH_SECRETS_REPLY, env: { 'A=B': 'x' } })),
      /not NAME=string/,
    ],
    [
      'a join token that is not a string',
      UNDER_UP,
      channel(() => ({ type: LAUNCH_SECRETS_REPLY, joinToken: 42, env: {} })),
      /join token/,
    ],
    ['no answer in time', UNDER_UP, channel(() => undefined), /did not hand over/],
  ];
  for (const [name, env, ipc, message] of refused) {
    it(`refuses ${name}`, async () => {
      await assert.rejects(receiveLaunchSecrets({ env, channel: ipc, target: {}, timeoutMs: 50 }), message);
    });
  }

  it('the join token comes from the launch secrets: an environment variable is not read', async () => {
    const fixture = await createServiceFixture({ component: 'widgets', config: TEST_CONFIG });
    try {
      const env = {
        ...fixture.env,
        [componentEnv.meshUrl.name]: 'https://127.0.0.1:8445',
        [componentEnv.meshBundleFile.name]: '/srv/.rampart/mesh/bundle.pem',
        RAMPART_JOIN_TOKEN: 'from-the-environment',
      };
      await assert.rejects(
        createService({ env, secrets: { env: {} }, logDestination: { write: () => true } }),
        /no mesh join token: rampart up hands it over IPC/,
      );
    } finally {
      await fixture.cleanup();
    }
  });
});
