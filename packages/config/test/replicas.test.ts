import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig, replicaAdminPort, replicaAdminPorts, replicaName } from '@rampart/config';
import { BASE } from './helpers.ts';

const POSTGRES = `storage:\n  sql: { kind: postgres, url: 'postgres://rampart_{service}:\${env:RAMPART_SQL_PASSWORD}@127.0.0.1/db' }\n`;
const REDIS = `storage:\n  redis: { url: '\${env:REDIS_URL}' }\n`;

function codes(text: string): string[] {
  return parseConfig(text, 'rampart.yaml').problems.map((p) => p.code);
}

describe('gateway.replicas and identity.replicas', () => {
  it('accepts 1..16 and refuses 0 and 17 (schema)', () => {
    assert.ok(parseConfig(`${BASE}gateway: { replicas: 1 }\n`, 'rampart.yaml').ok);
    assert.ok(codes(`${BASE}gateway: { replicas: 0 }\n`).length > 0);
    assert.ok(codes(`${BASE}identity: { replicas: 17 }\n`).length > 0);
  });

  it('refuses identity replicas > 1 on the embedded store (CFG_REPLICAS_NEED_SQL), at the line', () => {
    const result = parseConfig(`${BASE}identity:\n  replicas: 2\n`, 'rampart.yaml');
    const problem = result.problems.find((p) => p.code === 'CFG_REPLICAS_NEED_SQL');
    assert.ok(problem, JSON.stringify(result.problems));
    assert.equal(problem.line, 15);
    assert.match(problem.fix ?? '', /storage\.sql/);
    assert.deepEqual(
      codes(`${BASE}identity:\n  replicas: 2\n${POSTGRES}`).filter((c) => c.startsWith('CFG_REPLICAS')),
      [],
    );
  });

  it('refuses gateway replicas > 1 without Redis (CFG_REPLICAS_NEED_REDIS)', () => {
    const result = parseConfig(`${BASE}gateway:\n  replicas: 3\n`, 'rampart.yaml');
    const problem = result.problems.find((p) => p.code === 'CFG_REPLICAS_NEED_REDIS');
    assert.ok(problem, JSON.stringify(result.problems));
    assert.match(problem.message, /3 times its limit/);
    assert.deepEqual(
      codes(`${BASE}gateway:\n  replicas: 3\n${REDIS}`).filter((c) => c.startsWith('CFG_REPLICAS')),
      [],
    );
  });

  it('gives replica k the admin port + 100·(k−1), and its name', () => {
    assert.equal(replicaAdminPort(9464, 1), 9464);
    assert.equal(replicaAdminPort(9464, 3), 9664);
    assert.equal(replicaName('gateway', 1), 'gateway');
    assert.equal(replicaName('identity', 2), 'identity-2');
    const parsed = parseConfig(`${BASE}gateway: { replicas: 2 }\n${REDIS}`, 'rampart.yaml');
    assert.ok(parsed.ok, JSON.stringify(parsed.problems));
    assert.deepEqual(replicaAdminPorts(parsed.config, 'gateway'), [9464, 9564]);
  });

  it('refuses a replica admin port that another listener has (CFG_PORT_CONFLICT)', () => {
    const text = `${BASE}gateway: { replicas: 2 }\n${REDIS}ports: { auditAdmin: 9564 }\n`;
    const problem = parseConfig(text, 'rampart.yaml').problems.find((p) => p.code === 'CFG_PORT_CONFLICT');
    assert.ok(problem);
    assert.match(problem.message, /port 9564 of gateway replica 2/);
  });
});
