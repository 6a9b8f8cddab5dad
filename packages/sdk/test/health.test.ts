import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startWidgets, type Harness } from './service-harness.ts';

describe('health and readiness', () => {
  let h: Harness;
  before(async () => {
    h = await startWidgets();
  });
  after(() => h.close());

  it('GET /healthz is public and live', async () => {
    const res = await h.svc.injectAdmin('/healthz');
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'live' });
  });

  it('GET /readyz is public and reports revision 0 at start', async () => {
    const res = await h.svc.injectAdmin('/readyz');
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'ready', revision: 0 });
  });

  it('GET /readyz is 503 with the reason while the store cannot answer', async () => {
    const other = await startWidgets();
    try {
      await other.svc.store.close();
      const res = await other.svc.injectAdmin('/readyz');
      assert.equal(res.statusCode, 503);
      assert.deepEqual(res.json(), { status: 'not-ready', revision: 0, reasons: ['store unreachable'] });
    } finally {
      await other.close();
    }
  });

  it('the admin port answers only GET and HEAD of its three paths', async () => {
    assert.equal((await h.svc.injectAdmin({ method: 'POST', url: '/readyz' })).statusCode, 405);
    assert.equal((await h.svc.injectAdmin('/admin')).statusCode, 404);
    const metrics = await h.svc.injectAdmin('/metrics');
    assert.equal(metrics.statusCode, 200);
    assert.match(metrics.body, /^# HELP /m);
  });

  it('sets security headers and echoes a well-formed request id', async () => {
    // On the service port: even a denial carries the headers.
    const res = await h.svc.inject({ url: '/anything', headers: { 'x-request-id': 'gw-12345678' } });
    assert.equal(res.statusCode, 401);
    assert.equal(res.headers['x-request-id'], 'gw-12345678');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['cache-control'], 'no-store');
  });

  it('replaces a request id that could inject into logs', async () => {
    const res = await h.svc.inject({ url: '/anything', headers: { 'x-request-id': 'x\n{"level":60}' } });
    assert.match(String(res.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });

  it('stop() is idempotent and closes the store', async () => {
    const other = await startWidgets();
    await Promise.all([other.svc.stop(), other.svc.stop()]);
    await assert.rejects(other.svc.store.get('SELECT 1 AS one'), /closed/);
    await other.fixture.cleanup();
  });
});
