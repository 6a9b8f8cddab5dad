import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkHeaders } from '../../src/request/check-headers.ts';
import { assertCode } from './assert-code.ts';

const base = ['Host', 'shop.example', 'Accept', '*/*'];

describe('checkHeaders: accepted', () => {
  const cases: readonly (readonly [label: string, raw: readonly string[]])[] = [
    ['no headers', []],
    ['plain GET', base],
    ['one Content-Length', [...base, 'Content-Length', '42']],
    ['Content-Length 0', [...base, 'content-length', '0']],
    ['chunked', [...base, 'Transfer-Encoding', 'chunked']],
    ['repeated list headers', [...base, 'Accept', 'text/html', 'Cookie', 'a=1', 'Cookie', 'b=2']],
    ['tab and obs-text in a value', [...base, 'X-Note', 'a\tb \u00e9']],
    ['token punctuation in a name', [...base, "X-!#$%&'*+.^`|~", 'v']],
    ['underscore in an ordinary name', [...base, 'X_Custom', 'v']],
    ['empty value', [...base, 'X-Empty', '']],
  ];
  for (const [label, raw] of cases) {
    it(label, () => {
      assert.doesNotThrow(() => {
        checkHeaders(raw);
      });
    });
  }

  it('accepts exactly the limits', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => [`X-H${i}`, 'v']).flat();
    checkHeaders(hundred);
    checkHeaders(['X-Big', 'v'.repeat(16 * 1024 - 9)]); // 'X-Big: ' + value + CRLF = 16 KiB
  });
});

describe('checkHeaders: smuggling and malformed fields → GW_BAD_HEADER', () => {
  const rejects: readonly (readonly [label: string, raw: readonly string[]])[] = [
    ['CL + TE', ['Content-Length', '5', 'Transfer-Encoding', 'chunked']],
    ['TE + CL', ['transfer-encoding', 'chunked', 'content-length', '5']],
    ['CL, CL equal', ['Content-Length', '5', 'Content-Length', '5']],
    ['CL, CL different', ['Content-Length', '5', 'content-length', '6']],
    ['CL list', ['Content-Length', '5, 5']],
    ['CL signed', ['Content-Length', '+5']],
    ['CL negative', ['Content-Length', '-1']],
    ['CL hex', ['Content-Length', '0x5']],
    ['CL spaces', ['Content-Length', ' 5']],
    ['CL empty', ['Content-Length', '']],
    ['CL huge', ['Content-Length', '1234567890123456']],
    ['TE chunked, identity', ['Transfer-Encoding', 'chunked, identity']],
    ['TE identity', ['Transfer-Encoding', 'identity']],
    ['TE gzip, chunked', ['Transfer-Encoding', 'gzip, chunked']],
    ['TE leading space', ['Transfer-Encoding', ' chunked']],
    ['TE trailing space', ['Transfer-Encoding', 'chunked ']],
    ['TE upper case', ['Transfer-Encoding', 'Chunked']],
    ['TE tab', ['Transfer-Encoding', '\tchunked']],
    ['TE twice, different case', ['Transfer-Encoding', 'chunked', 'transfer-encoding', 'chunked']],
    ['TE twice, odd case', ['TRANSFER-ENCODING', 'chunked', 'Transfer-encoding', 'chunked']],
    ['TE with NUL', ['Transfer-Encoding', 'chunked\u0000']],
    ['Content_Length alias', ['Content_Length', '5']],
    ['Transfer_Encoding alias', ['Transfer_Encoding', 'chunked']],
    ['CL + Transfer_Encoding', ['Content-Length', '5', 'transfer_encoding', 'chunked']],
    ['Content_Type alias', ['Content_Type', 'text/plain']],
    ['X_Forwarded_For alias', ['X_Forwarded_For', '127.0.0.1']],
    ['x_real_ip alias', ['x_real_ip', '127.0.0.1']],
    ['X-Foo and X_Foo', ['X-Foo', 'a', 'X_Foo', 'b']],
    ['X_Foo and x-foo', ['X_Foo', 'a', 'x-foo', 'b']],
    ['two Host', ['Host', 'a.example', 'host', 'b.example']],
    ['two Authorization', ['Authorization', 'Bearer a', 'authorization', 'Bearer b']],
    ['two Content-Type', ['Content-Type', 'application/json', 'Content-Type', 'text/plain']],
    ['space in name', ['Content-Length ', '5']],
    ['space before name (obs-fold)', [' X-Folded', 'v']],
    ['tab before name (obs-fold)', ['\tX-Folded', 'v']],
    ['colon in name', ['X:Y', 'v']],
    ['empty name', ['', 'v']],
    ['non-ASCII name', ['X-Caf\u00e9', 'v']],
    ['NUL in name', ['X\u0000Y', 'v']],
    ['CRLF in value', ['X-A', 'v\r\nX-Injected: 1']],
    ['obs-fold kept in value', ['X-A', 'v\r\n continued']],
    ['bare LF in value', ['X-A', 'v\nw']],
    ['bare CR in value', ['X-A', 'v\rw']],
    ['NUL in value', ['X-A', 'v\u0000w']],
    ['C0 in value', ['X-A', 'v\u0001w']],
    ['DEL in value', ['X-A', 'v\u007fw']],
  ];
  for (const [label, raw] of rejects) {
    it(label, () => {
      assertCode(
        () => {
          checkHeaders([...base.slice(2), ...raw]);
        },
        'GW_BAD_HEADER',
        label,
      );
    });
  }
});

describe('checkHeaders: limits → GW_HEADERS_TOO_LARGE', () => {
  it('refuses more than 100 fields', () => {
    const many = Array.from({ length: 101 }, (_, i) => [`X-H${i}`, 'v']).flat();
    assertCode(() => {
      checkHeaders(many);
    }, 'GW_HEADERS_TOO_LARGE');
  });
  it('refuses a block over 16 KiB, even split across fields', () => {
    assertCode(() => {
      checkHeaders(['X-Big', 'v'.repeat(16 * 1024)]);
    }, 'GW_HEADERS_TOO_LARGE');
    assertCode(() => {
      checkHeaders(Array.from({ length: 20 }, (_, i) => [`X-H${i}`, 'v'.repeat(1000)]).flat());
    }, 'GW_HEADERS_TOO_LARGE');
  });
  it('honours configured limits', () => {
    assertCode(() => {
      checkHeaders(base, { maxHeaderCount: 1 });
    }, 'GW_HEADERS_TOO_LARGE');
    assertCode(() => {
      checkHeaders(base, { maxHeaderBytes: 20 });
    }, 'GW_HEADERS_TOO_LARGE');
  });
  it('throws TypeError for an odd-length array (programmer error)', () => {
    assert.throws(() => {
      checkHeaders(['Host']);
    }, TypeError);
  });
});
