import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { http2RequestFields } from '../../src/request/index.ts';
import { assertCode } from './assert-code.ts';

describe('http2RequestFields', () => {
  it('drops pseudo-header fields and names :authority as host', () => {
    const fields = http2RequestFields(
      [':method', 'GET', ':path', '/a', ':scheme', 'https', ':authority', 'shop.example', 'accept', '*/*'],
      { ':method': 'GET', ':path': '/a', ':scheme': 'https', ':authority': 'shop.example', accept: '*/*' },
    );
    assert.deepEqual(fields.rawHeaders, ['accept', '*/*', 'host', 'shop.example']);
    assert.deepEqual({ ...fields.headers }, { accept: '*/*', host: 'shop.example' });
  });

  it('keeps a Host equal to :authority, and a Host alone', () => {
    const same = http2RequestFields([':authority', 'a.example', 'host', 'a.example'], {
      ':authority': 'a.example',
      host: 'a.example',
    });
    assert.deepEqual(same.rawHeaders, ['host', 'a.example']);
    const alone = http2RequestFields(['host', 'b.example'], { host: 'b.example' });
    assert.equal(alone.headers['host'], 'b.example');
  });

  it('refuses a Host that differs from :authority', () => {
    assertCode(
      () =>
        http2RequestFields([':authority', 'a.example', 'host', 'evil.example'], {
          ':authority': 'a.example',
          host: 'evil.example',
        }),
      'GW_BAD_HEADER',
    );
  });
});
