import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import {
  MAX_BODY_BYTES,
  parseJsonSafely,
  readJsonBody,
  type BodySource,
} from '../../src/admin/read-json-body.ts';
import { AdminError } from '../../src/admin/admin-error.ts';
import { startAdminHarness, type AdminHarness } from './admin-support.ts';

function source(chunks: readonly (string | Buffer)[], headers: Record<string, string>): BodySource {
  return Object.assign(Readable.from(chunks.map((chunk) => Buffer.from(chunk))), { headers });
}

async function refusal(promise: Promise<unknown>): Promise<AdminError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AdminError) return error;
    throw error;
  }
  assert.fail('expected a refusal');
}

describe('admin API bodies: reading (unit)', () => {
  it('reads nothing without a declared body, and JSON with one', async () => {
    assert.equal(await readJsonBody(source([], {})), undefined);
    assert.equal(await readJsonBody(source([], { 'content-length': '0' })), undefined);
    const json = { a: [1, { b: 'c' }] };
    const text = JSON.stringify(json);
    assert.deepEqual(
      await readJsonBody(
        source([text.slice(0, 5), text.slice(5)], {
          'content-type': 'application/json; charset=UTF-8',
          'transfer-encoding': 'chunked',
        }),
      ),
      json,
    );
  });

  it('stops reading a chunked body as soon as it passes 64 KiB (413)', async () => {
    let pulled = 0;
    const stream = new Readable({
      read() {
        pulled += 1;
        this.push(Buffer.alloc(16 * 1024, 0x20));
      },
    });
    const req = Object.assign(stream, {
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
    });
    const error = await refusal(readJsonBody(req));
    assert.equal(error.status, 413);
    // An endless stream: the refusal comes after the limit plus what Node reads ahead, then reading stops.
    assert.ok(pulled <= MAX_BODY_BYTES / (16 * 1024) + 8, `read ${pulled} chunks`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const settled = pulled;
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(pulled, settled, 'nothing more is read after the refusal');
  });

  it('refuses a declared length over the limit without reading', async () => {
    const error = await refusal(
      readJsonBody(
        source(['{}'], { 'content-type': 'application/json', 'content-length': String(MAX_BODY_BYTES + 1) }),
      ),
    );
    assert.equal(error.status, 413);
    assert.equal(
      (
        await refusal(
          readJsonBody(source(['{}'], { 'content-type': 'application/json', 'content-length': '1e9' })),
        )
      ).status,
      413,
    );
  });

  it('refuses other media types (415), invalid UTF-8 and invalid JSON (400)', async () => {
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/jsonp',
      'application/json; charset=latin1',
    ]) {
      assert.equal(
        (await refusal(readJsonBody(source(['{}'], { 'content-type': type, 'content-length': '2' })))).status,
        415,
        type,
      );
    }
    const bad = Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]);
    assert.equal(
      (
        await refusal(
          readJsonBody(source([bad], { 'content-type': 'application/json', 'content-length': '7' })),
        )
      ).status,
      400,
    );
    assert.equal(
      (
        await refusal(
          readJsonBody(source(['{"a":'], { 'content-type': 'application/json', 'content-length': '5' })),
        )
      ).status,
      400,
    );
  });

  it('refuses __proto__, constructor and prototype keys at any depth', () => {
    for (const text of [
      '{"__proto__":{"admin":true}}',
      '{"a":[{"constructor":{"prototype":{}}}]}',
      '{"a":{"prototype":1}}',
    ]) {
      assert.throws(
        () => parseJsonSafely(text),
        (error: unknown) => error instanceof AdminError && error.status === 400,
        text,
      );
    }
    assert.equal(({} as Record<string, unknown>)['admin'], undefined, 'no prototype was polluted');
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    assert.doesNotThrow(() => {
      try {
        parseJsonSafely(deep);
      } catch (error) {
        if (!(error instanceof AdminError)) throw error;
      }
    });
  });
});

describe('admin API bodies over HTTPS: invalid input changes nothing', () => {
  let a: AdminHarness;
  let userCount: () => Promise<number>;

  before(async () => {
    a = await startAdminHarness();
    userCount = async () => (await a.h.identity.accounts.listUsers({ limit: 500 })).users.length;
  });
  after(async () => {
    await a.close();
  });

  const invalid: readonly [string, unknown, RegExp][] = [
    ['a missing field', {}, /^username: is required/],
    ['a wrong type', { username: 42 }, /^username: must be string/],
    ['an unknown field', { username: 'eve', isAdmin: true }, /^isAdmin: is not a known field/],
    ['a wrong nested type', { username: 'eve', groups: ['ok', 7] }, /^groups\[1\]: must be string/],
    ['a bad group name', { username: 'eve', groups: ['Not A Group'] }, /^groups\[0\]: must match pattern/],
    ['a repeated role', { username: 'eve', roles: ['a', 'a'] }, /^roles: must not repeat/],
    ['an array body', [{ username: 'eve' }], /^body: must be object/],
    [
      'a __proto__ key',
      '{"username":"eve","__proto__":{"roles":["admin"]}}',
      /__proto__: this key is not allowed/,
    ],
    [
      'a constructor key',
      '{"username":"eve","groups":[],"constructor":{"prototype":{"roles":["admin"]}}}',
      /this key is not allowed/,
    ],
    ['broken JSON', '{"username":"eve"', /not valid JSON/],
  ];

  for (const [name, body, message] of invalid) {
    it(`refuses ${name} with 400 naming the field`, async () => {
      const before = await userCount();
      const res = await a.call('POST', '/users', { body });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.json['error'], 'invalid_request');
      assert.match(String(res.json['error_description']), message);
      assert.equal(await userCount(), before);
    });
  }

  it('refuses a 70 KiB body with 413 before reading it, and changes nothing', async () => {
    const before = await userCount();
    const res = await a.call('POST', '/users', {
      body: { username: 'eve', displayName: 'x'.repeat(70 * 1024) },
    });
    assert.equal(res.status, 413);
    assert.equal(res.json['error'], 'request_too_large');
    assert.equal(await userCount(), before);
  });

  it('refuses a streamed body that grows past 64 KiB (no content-length)', async () => {
    const token = await a.token();
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${a.base}/users`, {
        method: 'POST',
        ca: a.h.ca,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('{"username":"eve","displayName":"');
      const timer = setInterval(() => {
        if (!req.write('x'.repeat(8 * 1024))) clearInterval(timer);
      }, 1);
      req.on('close', () => {
        clearInterval(timer);
      });
    });
    assert.equal(status, 413);
  });

  it('refuses a non-JSON media type with 415', async () => {
    const res = await a.call('POST', '/users', {
      body: 'username=eve',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(res.status, 415);
  });

  it('refuses a body on an operation that takes none, and unknown or repeated query parameters', async () => {
    assert.equal(
      (await a.call('DELETE', `/users/${a.admin.id}/sessions`, { body: { all: true } })).status,
      400,
    );
    assert.equal(
      (await a.call('POST', `/users/${a.admin.id}/password-reset`, { body: { password: 'x' } })).status,
      400,
    );
    assert.equal((await a.call('GET', '/users?offset=10')).status, 400);
    assert.equal((await a.call('GET', '/users?limit=1&limit=2')).status, 400);
    assert.equal((await a.call('GET', '/keys?x=1')).status, 400);
    for (const limit of ['0', '101', '-1', '1.5', 'ten', '']) {
      const res = await a.call('GET', `/users?limit=${limit}`);
      assert.equal(res.status, 400, limit);
      assert.match(String(res.json['error_description']), /^limit:/);
    }
    assert.equal((await a.call('GET', '/users?after=%%%')).status, 400);
  });

  it('answers unexpected failures without a stack trace', async () => {
    const res = await a.call('GET', '/users?after=' + Buffer.from([0xff, 0xfe]).toString('base64url'));
    assert.equal(res.status, 400);
    assert.doesNotMatch(res.text, /at [A-Za-z]+ \(|node_modules|\.ts:\d+/);
  });
});
