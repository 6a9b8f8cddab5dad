import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RampartConfig } from '@rampart/config';
import { componentEnv } from '@rampart/config';
import { createConfigMessageHandler, createService, type ConfigReply } from '@rampart/sdk';
import { bearer, startWidgets, TEST_CONFIG, type Harness } from './service-harness.ts';

function withWidgetCallers(callers: string[]): RampartConfig {
  const copy = structuredClone(TEST_CONFIG);
  const widgets = copy.services['widgets'];
  assert.ok(widgets);
  widgets.callers = callers;
  return copy;
}

describe('configuration pushed over IPC', () => {
  let h: Harness;
  const replies: ConfigReply[] = [];
  let handle: (message: unknown) => void;
  before(async () => {
    h = await startWidgets();
    handle = createConfigMessageHandler(h.svc, (reply) => replies.push(reply), h.svc.log);
  });
  after(() => h.close());

  it('applies a new revision, answers config.applied and readyz reports it', async () => {
    const seen: number[] = [];
    h.svc.onConfig((_config, revision) => seen.push(revision));
    handle({ type: 'config', revision: 1, config: withWidgetCallers(['gateway', 'helper']) });
    assert.deepEqual(replies.at(-1), { type: 'config.applied', revision: 1 });
    assert.deepEqual(seen, [1]);
    const ready = await h.svc.injectAdmin('/readyz');
    assert.deepEqual(ready.json(), { status: 'ready', revision: 1 });
    assert.ok(Object.isFrozen(h.svc.config().services));
  });

  it('routes see the new callers at once', async () => {
    const viaHelper = await h.fixture.token({ sub: 'alice', scope: 'widgets:read', act: { sub: 'helper' } });
    const asHelper = { peer: 'helper' };
    assert.equal(
      (await h.svc.inject({ url: '/widgets', headers: bearer(viaHelper) }, asHelper)).statusCode,
      200,
    );
    handle({ type: 'config', revision: 2, config: withWidgetCallers(['gateway']) });
    assert.equal(
      (await h.svc.inject({ url: '/widgets', headers: bearer(viaHelper) }, asHelper)).statusCode,
      403,
    );
  });

  it('rejects a stale revision or one without this service, changing nothing', () => {
    handle({ type: 'config', revision: 2, config: withWidgetCallers(['helper']) });
    assert.equal(replies.at(-1)?.type, 'config.rejected');
    const withoutWidgets: RampartConfig = {
      ...TEST_CONFIG,
      services: Object.fromEntries(
        Object.entries(TEST_CONFIG.services).filter(([name]) => name !== 'widgets'),
      ),
    };
    handle({ type: 'config', revision: 3, config: withoutWidgets });
    const refused = replies.at(-1);
    assert.ok(refused?.type === 'config.rejected');
    // The reason reaches the terminal of rampart up: one line that says what is wrong.
    assert.match(refused.reason, /widgets/);
    assert.doesNotMatch(refused.reason, /\n/);
    assert.equal(h.svc.revision(), 2);
    assert.deepEqual(h.svc.serviceConfig().callers, ['gateway']);
  });

  it('ignores other and malformed messages', () => {
    const before = replies.length;
    for (const message of [null, 'config', { type: 'ping' }, { type: 'config', revision: -1, config: {} }]) {
      handle(message);
    }
    assert.equal(replies.length, before);
  });
});

describe('createService start-up contract', () => {
  it('names the missing environment variable', async () => {
    for (const missing of [
      componentEnv.configFile.name,
      componentEnv.component.name,
      componentEnv.stateDir.name,
      componentEnv.internalTokenKeyFile.name,
    ]) {
      const env: Record<string, string | undefined> = {
        [componentEnv.configFile.name]: '/x/rampart.yaml',
        [componentEnv.component.name]: 'widgets',
        [componentEnv.stateDir.name]: '/x/state',
        [componentEnv.internalTokenKeyFile.name]: '/x/key.pub',
        [missing]: undefined,
      };
      await assert.rejects(
        createService({ env }),
        (error: Error) => error instanceof TypeError && error.message.includes(missing),
      );
    }
  });

  it('refuses to start on an invalid configuration, with the problem in the message', async () => {
    const h = await startWidgets();
    const { writeFileSync } = await import('node:fs');
    const configFile = h.fixture.env[componentEnv.configFile.name];
    assert.ok(configFile);
    writeFileSync(configFile, JSON.stringify({ ...TEST_CONFIG, servces: {} }));
    await assert.rejects(
      createService({ env: h.fixture.env, logDestination: { write: () => undefined } }),
      (error: Error) => error.name === 'ServiceStartError' && error.message.includes('servces'),
    );
    await h.close();
  });

  it('refuses a service that is not declared in the configuration', async () => {
    const h = await startWidgets();
    await assert.rejects(
      createService({
        env: { ...h.fixture.env, [componentEnv.component.name]: 'ghost' },
        logDestination: { write: () => undefined },
      }),
      /not declared/,
    );
    await h.close();
  });
});
