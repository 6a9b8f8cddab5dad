import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { auditLedgerFile } from '@rampart/audit';
import { loadConfig, platformPorts } from '@rampart/config';
import { componentSpiffeId, serviceSpiffeId } from '@rampart/mesh';
import { openEmbeddedStore } from '@rampart/sdk';
import { childPids, cliMain, SHOP_TRUST_DOMAIN, startShop, type RunningShop } from '@rampart/testing';

/** The stored events, as the audit service keeps them (read from its store, not through it). */
async function storedEvents(home: string): Promise<{ seq: number; event: Record<string, unknown> }[]> {
  const store = openEmbeddedStore(auditLedgerFile(join(home, 'audit')));
  try {
    const rows = await store.all<{ seq: number; event: string }>(
      'SELECT seq, event FROM audit_entries ORDER BY seq',
    );
    return rows.map((row) => ({
      seq: row.seq,
      event: JSON.parse(row.event) as Record<string, unknown>,
    }));
  } finally {
    await store.close();
  }
}

/** Sends `count` requests without a token through the gateway, `concurrency` at a time; their request ids. */
async function denials(shop: RunningShop, count: number, concurrency = 4): Promise<string[]> {
  const agent = new Agent({ connect: { ca: readFileSync(join(shop.home, 'ca.pem'), 'utf8') } });
  const ids: string[] = [];
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          next += 1;
          const response = await request(`https://127.0.0.1:${shop.ports.gateway}/orders`, {
            dispatcher: agent,
          });
          assert.equal(response.statusCode, 401);
          ids.push(((await response.body.json()) as { requestId: string }).requestId);
        }
      }),
    );
  } finally {
    await agent.close();
  }
  return ids;
}

/** How many times each of `ids` is in the trail as the gateway's `request.denied`. */
async function timesStored(home: string, ids: readonly string[]): Promise<Map<string, number>> {
  const gateway = componentSpiffeId(SHOP_TRUST_DOMAIN, 'gateway');
  const wanted = new Set(ids);
  const seen = new Map<string, number>(ids.map((id) => [id, 0]));
  for (const { event } of await storedEvents(home)) {
    const id = String(event['requestId']);
    if (event['source'] === gateway && event['event'] === 'request.denied' && wanted.has(id))
      seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  return seen;
}

function verify(configFile: string): { status: number | null; out: string } {
  const run = spawnSync(process.execPath, [cliMain, 'audit', 'verify', configFile], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { status: run.status, out: `${run.stdout}${run.stderr}` };
}

describe('audit trail: every component ships its security events to the audit service', () => {
  let shop: RunningShop;
  let configFile: string;
  const denied: string[] = [];

  before(async () => {
    // A checkpoint every 5 events, so that a short run already has some for `up` to copy.
    shop = await startShop({ edit: (yaml) => `${yaml}\naudit:\n  checkpointEvery: 5\n` });
    configFile = join(shop.dir, 'rampart.yaml');
  });
  after(() => shop.stop());

  it("the mesh authority's events are in the trail under its own identity: joins, and a refused join", async () => {
    const loaded = await loadConfig(configFile);
    assert.ok(loaded.ok);
    const meshUrl = `https://127.0.0.1:${platformPorts(loaded.config).mesh}`;
    const refused = await request(`${meshUrl}/v1/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ joinToken: 'not-a-join-token', csr: 'x' }),
      dispatcher: new Agent({ connect: { ca: shop.bundle() } }),
    });
    assert.equal(refused.statusCode, 401);
    await refused.body.dump();
    const mesh = componentSpiffeId(SHOP_TRUST_DOMAIN, 'mesh');
    const deadline = Date.now() + 20_000;
    for (;;) {
      const fromMesh = (await storedEvents(shop.home))
        .map(({ event }) => event)
        .filter((event) => event['source'] === mesh && event['service'] === 'mesh');
      const joined = fromMesh.some(
        (event) =>
          event['event'] === 'certificate.issued' &&
          event['peer'] === serviceSpiffeId(SHOP_TRUST_DOMAIN, 'orders') &&
          event['reason'] === 'joined',
      );
      const refusal = fromMesh.some(
        (event) =>
          event['event'] === 'mesh.join_refused' &&
          event['reason'] === 'MESH_JOIN_TOKEN_INVALID' &&
          event['sourceIp'] === '127.0.0.1',
      );
      if (joined && refusal) break;
      assert.ok(Date.now() < deadline, `mesh events missing: joined ${joined}, refused ${refusal}`);
      await sleep(250);
    }
  });

  it("a denial at the gateway is in the audit trail within seconds, under the gateway's own identity", async () => {
    const agent = new Agent({ connect: { ca: readFileSync(join(shop.home, 'ca.pem'), 'utf8') } });
    try {
      for (let i = 0; i < 12; i++) {
        const response = await request(`https://127.0.0.1:${shop.ports.gateway}/orders`, {
          dispatcher: agent,
          headers: { 'user-agent': 'audit-e2e/1.0\tforged' },
        });
        assert.equal(response.statusCode, 401);
        const problem = (await response.body.json()) as { requestId: string };
        denied.push(problem.requestId);
      }
    } finally {
      await agent.close();
    }
    const gateway = componentSpiffeId(SHOP_TRUST_DOMAIN, 'gateway');
    const arrived = async (): Promise<number> =>
      (await storedEvents(shop.home)).filter(
        ({ event }) =>
          event['source'] === gateway &&
          event['event'] === 'request.denied' &&
          event['reason'] === 'GW_TOKEN_MISSING' &&
          denied.includes(String(event['requestId'])),
      ).length;
    const deadline = Date.now() + 10_000;
    while ((await arrived()) < denied.length && Date.now() < deadline) await sleep(200);
    assert.equal(await arrived(), denied.length, 'every denial reached the audit trail once');
    // What an investigation needs: where from, with what, on which route — the agent cleaned.
    const one = (await storedEvents(shop.home)).find(({ event }) => event['requestId'] === denied[0]);
    assert.ok(one);
    assert.equal(one.event['sourceIp'], '127.0.0.1');
    assert.equal(one.event['userAgent'], 'audit-e2e/1.0forged');
    assert.equal(one.event['route'], 'GET /orders');
  });

  it('rampart audit verify: the trail verifies while the platform runs', () => {
    const { status, out } = verify(configFile);
    assert.equal(status, 0, out);
    assert.match(out, /✓ audit trail verified: \d+ events/);
  });

  it('after a stop: a modified event is named, and a deleted tail is caught by the copy up kept', async () => {
    await shop.up.stop();
    const checkpoints = join(shop.home, 'audit-checkpoints.jsonl');
    assert.ok(existsSync(checkpoints), 'rampart up kept no copy of the checkpoints');
    assert.ok(readFileSync(checkpoints, 'utf8').trim().split('\n').length >= 2);
    assert.equal(verify(configFile).status, 0);

    const store = openEmbeddedStore(auditLedgerFile(join(shop.home, 'audit')));
    try {
      const original = await store.get<{ event: string }>('SELECT event FROM audit_entries WHERE seq = 3');
      assert.ok(original);
      await store.run('UPDATE audit_entries SET event = ? WHERE seq = 3', [
        original.event.replace('"outcome":"', '"outcome":"not-'),
      ]);
      const modified = verify(configFile);
      assert.equal(modified.status, 1);
      assert.match(modified.out, /does not verify: modified at seq 3/);
      await store.run('UPDATE audit_entries SET event = ? WHERE seq = 3', [original.event]);
      assert.equal(verify(configFile).status, 0);

      // The columns searches use are not chained: an edit that would hide an event is named too.
      await store.run("UPDATE audit_entries SET event_type = 'nothing.here' WHERE seq = 4");
      const hidden = verify(configFile);
      assert.equal(hidden.status, 1);
      assert.match(hidden.out, /does not verify: search index at seq 4/);

      // Whoever holds the audit store can drop its tail and the checkpoints stored with it; not
      // the copy rampart up kept.
      const head = await store.get<{ seq: number }>('SELECT max(seq) AS seq FROM audit_entries');
      assert.ok(head);
      const keep = head.seq - 6;
      await store.run('DELETE FROM audit_entries WHERE seq > ?', [keep]);
      await store.run('DELETE FROM audit_checkpoints WHERE seq > ?', [keep]);
      const truncated = verify(configFile);
      assert.equal(truncated.status, 1);
      assert.match(truncated.out, /does not verify: truncated at seq/);
    } finally {
      await store.close();
    }
  });
});

describe('audit trail under load: the audit service killed (-9) loses no event and duplicates none', () => {
  let shop: RunningShop;
  before(async () => {
    shop = await startShop();
  });
  after(() => shop.stop());

  it('every denial sent while the audit service died and came back is in the trail exactly once', async () => {
    const auditPid = childPids(shop.up.child.pid ?? 0).find((pid) =>
      readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('services/audit/src/main.ts'),
    );
    assert.ok(auditPid, 'no audit service process under rampart up');
    const load = denials(shop, 400);
    await sleep(300);
    const from = shop.up.output.length;
    process.kill(auditPid, 'SIGKILL');
    const ids = await load;
    assert.equal(new Set(ids).size, 400);
    await shop.up.waitFor(/audit .*restarted and ready/, 60_000, from);
    const deadline = Date.now() + 30_000;
    let seen = await timesStored(shop.home, ids);
    while ([...seen.values()].some((times) => times === 0) && Date.now() < deadline) {
      await sleep(250);
      seen = await timesStored(shop.home, ids);
    }
    assert.deepEqual(
      [...seen.values()].filter((times) => times !== 1).length,
      0,
      `events missing or stored twice: ${JSON.stringify([...seen].filter(([, times]) => times !== 1).slice(0, 5))}`,
    );
    const { status, out } = verify(join(shop.dir, 'rampart.yaml'));
    assert.equal(status, 0, out);
  });
});
