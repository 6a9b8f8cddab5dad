import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { auditLedgerFile, natsServerConfig } from '@rampart/audit';
import { componentSpiffeId } from '@rampart/mesh';
import { jetstreamManager } from '@nats-io/jetstream';
import { AUDIT_STREAM, connectNats, openEmbeddedStore } from '@rampart/sdk';
import {
  childPids,
  cliMain,
  freePort,
  natsServerAvailability,
  SHOP_TRUST_DOMAIN,
  startNatsServer,
  startShop,
  type RunningShop,
  type TestNatsServer,
} from '@rampart/testing';

/** The gateway's `request.denied` events in the trail, by request id: how many times each is there. */
async function timesStored(home: string, ids: readonly string[]): Promise<Map<string, number>> {
  const gateway = componentSpiffeId(SHOP_TRUST_DOMAIN, 'gateway');
  const seen = new Map<string, number>(ids.map((id) => [id, 0]));
  const store = openEmbeddedStore(auditLedgerFile(join(home, 'audit')));
  try {
    const rows = await store.all<{ event: string }>('SELECT event FROM audit_entries ORDER BY seq');
    for (const row of rows) {
      const event = JSON.parse(row.event) as Record<string, unknown>;
      const id = String(event['requestId']);
      if (event['source'] === gateway && event['event'] === 'request.denied' && seen.has(id))
        seen.set(id, (seen.get(id) ?? 0) + 1);
    }
  } finally {
    await store.close();
  }
  return seen;
}

/** Denied requests through the gateway, `concurrency` at a time, until `stop` is aborted; their request ids. */
async function steadyDenials(shop: RunningShop, stop: AbortSignal, concurrency = 3): Promise<string[]> {
  const agent = new Agent({ connect: { ca: readFileSync(join(shop.home, 'ca.pem'), 'utf8') } });
  const ids: string[] = [];
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (!stop.aborted) {
          const response = await request(`https://127.0.0.1:${shop.ports.gateway}/orders`, {
            dispatcher: agent,
          });
          assert.equal(response.statusCode, 401);
          ids.push(((await response.body.json()) as { requestId: string }).requestId);
          await sleep(5);
        }
      }),
    );
  } finally {
    await agent.close();
  }
  return ids;
}

describe(
  'audit trail over NATS JetStream: the audit service and NATS killed (-9) in turn under load lose no event and duplicate none',
  natsServerAvailability(),
  () => {
    let shop: RunningShop;
    let nats: TestNatsServer;

    before(async () => {
      const port = await freePort();
      shop = await startShop({
        storage: `storage:\n  sql: { kind: embedded }\n  nats:\n    url: tls://127.0.0.1:${String(port)}\n`,
      });
      // NATS comes after the platform: until then events wait in the components' outboxes. Its
      // certificate comes from the mesh CA (a copy), as an operator issues it (`rampart export nats`, planned).
      const server = await shop.credentials(componentSpiffeId(SHOP_TRUST_DOMAIN, 'nats'));
      writeFileSync(join(shop.dir, 'nats.pem'), server.cert);
      writeFileSync(join(shop.dir, 'nats.key'), server.key, { mode: 0o600 });
      writeFileSync(join(shop.dir, 'bundle.pem'), shop.bundle());
      nats = await startNatsServer(
        shop.dir,
        port,
        natsServerConfig({
          trustDomain: SHOP_TRUST_DOMAIN,
          components: ['gateway', 'identity', 'mesh'],
          services: ['profiles', 'orders', 'payments'],
          listen: `127.0.0.1:${String(port)}`,
          certFile: join(shop.dir, 'nats.pem'),
          keyFile: join(shop.dir, 'nats.key'),
          caFile: join(shop.dir, 'bundle.pem'),
          storeDir: join(shop.dir, 'jetstream'),
        }),
      );
    });
    after(async () => {
      await shop.stop();
      await nats.stop();
    });

    it('every denial sent meanwhile is in the chain exactly once, and verify passes', async (t) => {
      const stop = new AbortController();
      const load = steadyDenials(shop, stop.signal);
      await sleep(1_000);

      const auditPid = childPids(shop.up.child.pid ?? 0).find((pid) =>
        readFileSync(`/proc/${String(pid)}/cmdline`, 'utf8').includes('services/audit/src/main.ts'),
      );
      assert.ok(auditPid, 'no audit service process under rampart up');
      const from = shop.up.output.length;
      process.kill(auditPid, 'SIGKILL');
      await shop.up.waitFor(/audit .*restarted and ready/, 60_000, from);
      await sleep(1_000);

      await nats.kill();
      await sleep(2_000);
      await nats.restart();
      await sleep(1_000);

      stop.abort();
      const ids = await load;
      assert.ok(ids.length > 100, `only ${String(ids.length)} requests made`);
      assert.equal(new Set(ids).size, ids.length);

      // The consumer's unacknowledged deliveries come again after its ack wait (15 s).
      const deadline = Date.now() + 90_000;
      let seen = await timesStored(shop.home, ids);
      while ([...seen.values()].some((times) => times === 0) && Date.now() < deadline) {
        await sleep(500);
        seen = await timesStored(shop.home, ids);
      }
      const wrong = [...seen].filter(([, times]) => times !== 1);
      assert.equal(wrong.length, 0, `events missing or stored twice: ${JSON.stringify(wrong.slice(0, 5))}`);

      const run = spawnSync(process.execPath, [cliMain, 'audit', 'verify', join(shop.dir, 'rampart.yaml')], {
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
      });
      assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);

      // They came through JetStream, not over HTTP: the stream took at least as many messages.
      const audit = await shop.credentials(componentSpiffeId(SHOP_TRUST_DOMAIN, 'audit'));
      const connection = await connectNats({
        settings: { url: `tls://127.0.0.1:${String(nats.port)}` },
        trustDomain: SHOP_TRUST_DOMAIN,
        credentials: () => ({ certPem: audit.cert, keyPem: audit.key, caPems: [shop.bundle()] }),
        name: 'audit',
        reconnect: false,
      });
      try {
        const stream = await (await jetstreamManager(connection)).streams.info(AUDIT_STREAM);
        assert.ok(
          stream.state.last_seq >= ids.length,
          `the stream saw ${String(stream.state.last_seq)} messages`,
        );
        t.diagnostic(
          `${String(ids.length)} denials, ${String(stream.state.last_seq)} messages through JetStream`,
        );
      } finally {
        await connection.close();
      }
    });
  },
);
