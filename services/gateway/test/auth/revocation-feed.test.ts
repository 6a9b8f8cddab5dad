import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  componentSpiffeId,
  createWorkloadCsr,
  serviceSpiffeId,
  type WorkloadCredentials,
} from '@rampart/mesh';
import { createLogger } from '@rampart/sdk';
import { createRevocationFeed, type RevocationFeed } from '../../src/auth/revocation-feed.ts';
import { openMesh, TRUST_DOMAIN, type Mesh } from '../forward/mesh-fixture.ts';

interface Entry {
  readonly seq: number;
  /** What identity sends; a gateway must skip a kind it does not know. */
  readonly kind: string;
  readonly value: string;
  readonly issuedBefore: number;
  readonly expiresAt: number;
}

/** Stands in for identity's feed endpoint: mTLS with the identity SPIFFE ID, entries after `after`. */
async function startFeed(
  mesh: Mesh,
  spiffeId: string,
  entries: Entry[],
): Promise<{ server: Server; url: string; up: { value: boolean } }> {
  const { keyPem, csrPem } = await createWorkloadCsr(spiffeId);
  const issued = await mesh.ca.issue({ csrPem, spiffeId, ipSans: ['127.0.0.1'] });
  const up = { value: true };
  const server = createServer(
    { key: keyPem, cert: issued.certPem, ca: [...mesh.bundle], requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      if (!up.value) {
        res.writeHead(503).end();
        return;
      }
      const after = Number(new URL(req.url ?? '/', 'https://x').searchParams.get('after'));
      const page = entries.filter((entry) => entry.seq > after);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ entries: page, next: page.at(-1)?.seq ?? after }));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/internal/revocations`,
    up,
  };
}

const now = (): number => Math.floor(Date.now() / 1000);

describe('the revocation feed (identity → gateway)', () => {
  let mesh: Mesh;
  let credentials: WorkloadCredentials;
  const entries: Entry[] = [];
  let feed: { server: Server; url: string; up: { value: boolean } };
  const feeds: RevocationFeed[] = [];
  const log = createLogger('gateway', { level: 'silent' });

  before(async () => {
    mesh = await openMesh();
    credentials = await mesh.gatewayCredentials();
    feed = await startFeed(mesh, componentSpiffeId(TRUST_DOMAIN, 'identity'), entries);
  });
  after(async () => {
    for (const f of feeds) await f.stop();
    feed.server.close();
    feed.server.closeAllConnections();
    await mesh.cleanup();
  });

  function follow(url = feed.url, spiffeId = componentSpiffeId(TRUST_DOMAIN, 'identity')): RevocationFeed {
    const f = createRevocationFeed({
      url,
      identitySpiffeId: spiffeId,
      credentials: () => credentials,
      log,
      intervalMs: 60_000,
    });
    feeds.push(f);
    return f;
  }

  it('refuses tokens of a revoked grant issued before the revocation, not later ones or other grants', async () => {
    entries.push({ seq: 1, kind: 'grant', value: 'g-stolen', issuedBefore: now(), expiresAt: now() + 600 });
    const f = follow();
    assert.equal(await f.poll(), true);
    assert.equal(
      f.isRevoked({ subject: 'u1', clientId: 'shop-web', grantId: 'g-stolen', issuedAt: now() - 5 }),
      true,
    );
    assert.equal(
      f.isRevoked({ subject: 'u1', clientId: 'shop-web', grantId: 'g-stolen', issuedAt: now() + 5 }),
      false,
    );
    assert.equal(
      f.isRevoked({ subject: 'u1', clientId: 'shop-web', grantId: 'g-other', issuedAt: now() - 5 }),
      false,
    );
    assert.equal(f.isRevoked({ subject: 'u1', clientId: 'shop-web', issuedAt: now() - 5 }), false);
  });

  it('refuses every earlier token of a subject signed out everywhere, whatever the grant', async () => {
    entries.push({ seq: 2, kind: 'subject', value: 'u2', issuedBefore: now(), expiresAt: now() + 600 });
    const f = follow();
    await f.poll();
    assert.equal(
      f.isRevoked({ subject: 'u2', clientId: 'shop-web', grantId: 'any', issuedAt: now() - 60 }),
      true,
    );
    assert.equal(f.isRevoked({ subject: 'u2', clientId: 'shop-web', issuedAt: now() - 60 }), true);
    assert.equal(f.isRevoked({ subject: 'u3', clientId: 'shop-web', issuedAt: now() - 1 }), false);
  });

  it('refuses every earlier token issued to a disabled client, whoever it acted for, and no other client', async () => {
    entries.push({ seq: 3, kind: 'client', value: 'rogue-app', issuedBefore: now(), expiresAt: now() + 600 });
    const f = follow();
    await f.poll();
    const user = { subject: 'u9', grantId: 'g9', issuedAt: now() - 60 };
    assert.equal(f.isRevoked({ ...user, clientId: 'rogue-app' }), true);
    assert.equal(f.isRevoked({ subject: 'rogue-app', clientId: 'rogue-app', issuedAt: now() - 60 }), true);
    assert.equal(f.isRevoked({ ...user, clientId: 'rogue-app', issuedAt: now() + 5 }), false, 'issued after');
    assert.equal(f.isRevoked({ ...user, clientId: 'shop-web' }), false);
    assert.equal(
      f.isRevoked({ ...user, subject: 'rogue-app', clientId: 'shop-web' }),
      false,
      'a client id is not a subject',
    );
  });

  it('skips an entry of a kind it does not know, never taking it for another kind', async () => {
    for (const [seq, kind] of [
      [4, 'tenant'],
      [5, '__proto__'],
      [6, 'constructor'],
    ] as const) {
      entries.push({ seq, kind, value: 'u-unknown', issuedBefore: now(), expiresAt: now() + 600 });
    }
    const f = follow();
    assert.equal(await f.poll(), true);
    assert.equal(
      f.isRevoked({
        subject: 'u-unknown',
        clientId: 'u-unknown',
        grantId: 'u-unknown',
        issuedAt: now() - 60,
      }),
      false,
    );
  });

  it('learns new entries incrementally and forgets those whose tokens have all expired', async () => {
    const f = follow();
    await f.poll();
    entries.push({ seq: 7, kind: 'subject', value: 'u-expired', issuedBefore: now(), expiresAt: now() - 1 });
    entries.push({ seq: 8, kind: 'grant', value: 'g-new', issuedBefore: now(), expiresAt: now() + 600 });
    await f.poll();
    assert.equal(
      f.isRevoked({ subject: 'x', clientId: 'shop-web', grantId: 'g-new', issuedAt: now() - 60 }),
      true,
    );
    assert.equal(f.isRevoked({ subject: 'u-expired', clientId: 'shop-web', issuedAt: now() - 1 }), false);
  });

  it('keeps what it knows while identity is down, and says so once stale', async () => {
    const f = createRevocationFeed({
      url: feed.url,
      identitySpiffeId: componentSpiffeId(TRUST_DOMAIN, 'identity'),
      credentials: () => credentials,
      log,
      intervalMs: 60_000,
      staleAfterMs: 0,
    });
    feeds.push(f);
    await f.poll();
    feed.up.value = false;
    try {
      assert.equal(await f.poll(), false);
      assert.equal(
        f.isRevoked({ subject: 'u2', clientId: 'shop-web', issuedAt: now() - 60 }),
        true,
        'the last known state holds',
      );
      await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal(f.stale(), true);
    } finally {
      feed.up.value = true;
    }
  });

  it('reads the feed only from identity: a server with another SPIFFE ID is not believed', async () => {
    const impostor = await startFeed(mesh, serviceSpiffeId(TRUST_DOMAIN, 'orders'), [
      { seq: 1, kind: 'subject', value: 'victim', issuedBefore: now() + 3600, expiresAt: now() + 600 },
    ]);
    try {
      const f = follow(impostor.url);
      assert.equal(await f.poll(), false);
      assert.equal(f.isRevoked({ subject: 'victim', clientId: 'shop-web', issuedAt: now() }), false);
    } finally {
      impostor.server.close();
      impostor.server.closeAllConnections();
    }
  });
});
