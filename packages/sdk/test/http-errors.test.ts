import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bearer, startWidgets, type Harness } from './service-harness.ts';

interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: string;
  requestId: string;
  errors?: { in: string; pointer: string; message: string }[];
}

describe('requests, limits and problem+json errors', () => {
  let h: Harness;
  let writer: { authorization: string };
  before(async () => {
    h = await startWidgets();
    writer = bearer(await h.fixture.token({ sub: 'alice', scope: 'widgets:write' }));
  });
  after(() => h.close());

  const post = (payload: string, headers: Record<string, string> = {}) =>
    h.svc.inject({ method: 'POST', url: '/widgets', payload, headers: { ...writer, ...headers } });

  it('201 for a valid JSON body', async () => {
    const res = await post('{"name":"bolt"}', { 'content-type': 'application/json; charset=utf-8' });
    assert.equal(res.statusCode, 201);
    assert.deepEqual(res.json(), { name: 'bolt' });
  });

  it('415 SDK_UNSUPPORTED_MEDIA_TYPE for a body that is not JSON', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const res = await post('name=bolt', { 'content-type': type });
      assert.equal(res.statusCode, 415, type);
      assert.equal(res.json<ProblemBody>().code, 'SDK_UNSUPPORTED_MEDIA_TYPE');
    }
  });

  it('a route may accept another media type', async () => {
    const res = await h.svc.inject({
      method: 'PUT',
      url: '/blobs/abc',
      payload: Buffer.from([1, 2, 3]),
      headers: {
        ...bearer(await h.fixture.token({ sub: 'alice' })),
        'content-type': 'application/octet-stream',
      },
    });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { id: 'abc', size: 3 });
  });

  it('400 names the field that broke the schema', async () => {
    const cases: { body: string; pointer: string }[] = [
      { body: '{}', pointer: '/name' },
      { body: '{"name":""}', pointer: '/name' },
      { body: '{"name":"bolt","size":0}', pointer: '/size' },
      { body: '{"name":"bolt","admin":true}', pointer: '/admin' },
    ];
    for (const { body, pointer } of cases) {
      const res = await post(body, { 'content-type': 'application/json' });
      assert.equal(res.statusCode, 400, body);
      const problem = res.json<ProblemBody>();
      assert.equal(problem.code, 'SDK_BAD_REQUEST');
      assert.deepEqual(
        problem.errors?.map((e) => [e.in, e.pointer]),
        [['body', pointer]],
        body,
      );
    }
  });

  it('400 SDK_BAD_REQUEST for invalid JSON and prototype poisoning', async () => {
    for (const body of ['{"name":', '{"name":"x","__proto__":{"admin":true}}']) {
      const res = await post(body, { 'content-type': 'application/json' });
      assert.equal(res.statusCode, 400, body);
      assert.equal(res.json<ProblemBody>().code, 'SDK_BAD_REQUEST');
    }
  });

  it('413 SDK_PAYLOAD_TOO_LARGE over the route limit', async () => {
    const res = await post(JSON.stringify({ name: 'x'.repeat(2000) }), {
      'content-type': 'application/json',
    });
    assert.equal(res.statusCode, 413);
    assert.equal(res.json<ProblemBody>().code, 'SDK_PAYLOAD_TOO_LARGE');
  });

  it('problems are application/problem+json with a requestId and nothing else', async () => {
    const res = await post('{}', { 'content-type': 'application/json', 'x-request-id': 'req-abcdefgh' });
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    const problem = res.json<ProblemBody>();
    assert.deepEqual(Object.keys(problem).sort(), ['code', 'errors', 'requestId', 'status', 'title', 'type']);
    assert.equal(problem.requestId, 'req-abcdefgh');
    assert.equal(problem.type, 'https://rampart.dev/errors#SDK_BAD_REQUEST');
  });

  it('an unknown error is a generic 500: no message, no stack; the detail is logged', async () => {
    const res = await h.svc.inject({
      url: '/boom',
      headers: bearer(await h.fixture.token({ sub: 'alice' })),
    });
    assert.equal(res.statusCode, 500);
    const problem = res.json<ProblemBody>();
    assert.equal(problem.code, 'SDK_INTERNAL');
    assert.equal(problem.title, 'Internal error');
    assert.ok(!res.body.includes('hunter2') && !res.body.includes('stack') && !res.body.includes('.ts'));
    assert.ok(h.logs.some((line) => line.includes('hunter2') && line.includes(problem.requestId)));
  });

  it('404 SDK_NOT_FOUND for an unknown path with a valid token', async () => {
    const res = await h.svc.inject({
      url: '/nope',
      headers: bearer(await h.fixture.token({ sub: 'alice' })),
    });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json<ProblemBody>().code, 'SDK_NOT_FOUND');
  });
});

describe('strings that are not well-formed Unicode (defense in depth behind the gateway)', () => {
  let h: Harness;
  before(async () => {
    h = await startWidgets();
  });
  after(() => h.close());

  it('400 SDK_BAD_REQUEST naming the field of a lone surrogate, before the handler runs', async () => {
    const writer = bearer(await h.fixture.token({ sub: 'alice', scope: 'widgets:write' }));
    const res = await h.svc.inject({
      method: 'POST',
      url: '/widgets',
      payload: '{"name":"bo\\ud800lt"}',
      headers: { ...writer, 'content-type': 'application/json' },
    });
    assert.equal(res.statusCode, 400);
    const problem = res.json<ProblemBody>();
    assert.equal(problem.code, 'SDK_BAD_REQUEST');
    assert.deepEqual(problem.errors, [
      { in: 'body', pointer: '/name', message: 'is not well-formed Unicode' },
    ]);
  });
});
