import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import type { BodySource } from '../../src/http/read-at-most.ts';
import { FORM_LIMIT_BYTES, readForm, readJson } from '../../src/pages/request-body.ts';

const FORM = 'application/x-www-form-urlencoded';

function source(chunks: readonly (string | Buffer)[], headers: Record<string, string>): BodySource {
  return Object.assign(Readable.from(chunks.map((chunk) => Buffer.from(chunk))), { headers });
}

describe("pages' request bodies (unit)", () => {
  it('reads a form in chunks, and JSON', async () => {
    const form = await readForm(source(['user', 'name=carol&password=x'], { 'content-type': FORM }));
    assert.ok(form.ok);
    assert.equal(form.value.get('username'), 'carol');
    const json = await readJson(source(['{"a":', '[1]}'], { 'content-type': 'application/json' }));
    assert.deepEqual(json, { ok: true, value: { a: [1] } });
  });

  it('refuses another media type (415) without reading', async () => {
    const req = source(['a=b'], { 'content-type': 'text/plain' });
    assert.deepEqual(await readForm(req), { ok: false, status: 415 });
    assert.deepEqual(await readJson(source(['{}'], { 'content-type': FORM })), { ok: false, status: 415 });
  });

  it('refuses a declared length over the limit (413) and drains the body', async () => {
    const req = source(['a=b'], { 'content-type': FORM, 'content-length': String(FORM_LIMIT_BYTES + 1) });
    assert.deepEqual(await readForm(req), { ok: false, status: 413 });
    await once(req, 'end');
  });

  it('refuses a streamed body as soon as it passes the limit (413), reading no more', async () => {
    const chunk = 'a'.repeat(4 * 1024);
    let pulled = 0;
    const req = Object.assign(
      new Readable({
        read() {
          pulled += 1;
          this.push(chunk);
        },
      }),
      { headers: { 'content-type': FORM, 'transfer-encoding': 'chunked' } },
    );
    assert.deepEqual(await readForm(req), { ok: false, status: 413 });
    assert.ok(req.destroyed, 'the request is destroyed');
    const settled = pulled;
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(pulled, settled, 'nothing more is read after the refusal');
    assert.deepEqual(
      await readForm(source([chunk, chunk], { 'content-type': FORM })),
      { ok: true, value: new URLSearchParams(chunk + chunk) },
      'exactly the limit is read',
    );
  });

  it('refuses invalid UTF-8 and invalid JSON (400)', async () => {
    const bad = Buffer.from([0x61, 0x3d, 0xff]);
    assert.deepEqual(await readForm(source([bad], { 'content-type': FORM })), { ok: false, status: 400 });
    assert.deepEqual(await readJson(source(['{'], { 'content-type': 'application/json' })), {
      ok: false,
      status: 400,
    });
  });

  it('passes on a failing stream', async () => {
    const req = Object.assign(
      new Readable({
        read() {
          this.destroy(new Error('reset'));
        },
      }),
      { headers: { 'content-type': FORM } },
    );
    await assert.rejects(readForm(req), /reset/);
  });
});
