// The config module: everything `rampart check` reports (one rule per CFG_ code, the loader's own
// problems), and the design rules, each with a positive and a negative fixture.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { codes } from '@rampart/errors';
import { CONFIG_RULES, configModule, isRampartConfig, runScan } from '@rampart/scan';
import { fixtureExists, ruleFixtures, rulesReported } from '../rule-fixtures.ts';

const ROOT = join(import.meta.dirname, '../../../..');
const WITH_FIXTURES = [
  'config/unsafe-route-without-rate-limit',
  'config/unreachable-service',
  'config/public-write-route',
  'config/route-no-policy',
];

describe('config rules', () => {
  it('has one rule per CFG_ code of the error registry', () => {
    for (const code of Object.keys(codes).filter((c) => c.startsWith('CFG_'))) {
      const id = `config/${code.slice(4).toLowerCase().replaceAll('_', '-')}`;
      assert.ok(CONFIG_RULES.has(id), `${code} → ${id}`);
    }
  });
  for (const id of WITH_FIXTURES) {
    const { positive, negative } = ruleFixtures('config', id, '.rampart.yaml');
    it(`${id}: reports the positive fixture, not the negative one`, async () => {
      assert.ok(fixtureExists(positive) && fixtureExists(negative));
      assert.ok((await rulesReported(configModule, positive)).includes(id));
      assert.deepEqual(await rulesReported(configModule, negative), []);
    });
  }
  it('gives a `rampart check` problem its file:line and its fix', async () => {
    const { positive } = ruleFixtures('config', 'config/route-no-policy', '.rampart.yaml');
    const result = await runScan({ root: positive, modules: [configModule] });
    const [finding] = result.modules[0]?.findings ?? [];
    assert.equal(finding?.severity, 'high');
    assert.deepEqual(finding.location, {
      file: 'route-no-policy.positive.rampart.yaml',
      line: 23,
      column: 9,
    });
    assert.notEqual(finding.fix, CONFIG_RULES.get('config/route-no-policy')?.fix);
  });
  it('finds rampart.yaml files by name', () => {
    for (const name of ['rampart.yaml', 'x/rampart.yml', 'staging.rampart.yaml'])
      assert.ok(isRampartConfig(name));
    assert.ok(!isRampartConfig('not-rampart.yaml.txt') && !isRampartConfig('myrampart.yaml'));
  });
  it("keeps the shop's rampart.yaml clean", async () => {
    assert.deepEqual(await rulesReported(configModule, join(ROOT, 'examples/shop/rampart.yaml')), []);
  });
});
