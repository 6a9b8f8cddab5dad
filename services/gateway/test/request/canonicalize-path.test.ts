import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalPath, encodeSegment } from '../../src/request/canonicalize-path.ts';
import { assertCode } from './assert-code.ts';

describe('canonicalPath: accepted targets', () => {
  const cases: readonly (readonly [
    raw: string,
    path: string,
    segments: readonly string[],
    query: string,
    target: string,
  ])[] = [
    ['/', '/', [], '', '/'],
    ['/orders', '/orders', ['orders'], '', '/orders'],
    ['/orders/42/', '/orders/42/', ['orders', '42'], '', '/orders/42/'],
    [
      "/a-b_c.d~e/!$&'()*+,=:@",
      "/a-b_c.d~e/!$&'()*+,=:@",
      ['a-b_c.d~e', "!$&'()*+,=:@"],
      '',
      "/a-b_c.d~e/!$&'()*+,=:@",
    ],
    ['/caf%C3%A9', '/café', ['café'], '', '/caf%C3%A9'],
    ['/caf%c3%a9', '/café', ['café'], '', '/caf%C3%A9'],
    ['/%41%62c', '/Abc', ['Abc'], '', '/Abc'],
    ['/a%20b', '/a b', ['a b'], '', '/a%20b'],
    ['/100%25', '/100%', ['100%'], '', '/100%25'],
    ['/%254', '/%4', ['%4'], '', '/%254'],
    ['/%ef%bf%bd', '/\uFFFD', ['\uFFFD'], '', '/%EF%BF%BD'],
    ['/...', '/...', ['...'], '', '/...'],
    ['/admin.', '/admin.', ['admin.'], '', '/admin.'],
    [
      '/.well-known/jwks.json',
      '/.well-known/jwks.json',
      ['.well-known', 'jwks.json'],
      '',
      '/.well-known/jwks.json',
    ],
    ['//admin', '/admin', ['admin'], '', '/admin'],
    ['/a//b///c', '/a/b/c', ['a', 'b', 'c'], '', '/a/b/c'],
    ['/a//', '/a/', ['a'], '', '/a/'],
    ['//', '/', [], '', '/'],
    [
      '/search?q=caf%C3%A9&x=%2F..%2e',
      '/search',
      ['search'],
      'q=caf%C3%A9&x=%2F..%2e',
      '/search?q=caf%C3%A9&x=%2F..%2e',
    ],
    ['/s?a[]=1&b={"c":2}|?/', '/s', ['s'], 'a[]=1&b={"c":2}|?/', '/s?a[]=1&b={"c":2}|?/'],
    ['/s?', '/s', ['s'], '', '/s'],
    ['/?q=%0A', '/', [], 'q=%0A', '/?q=%0A'],
  ];
  for (const [raw, path, segments, query, target] of cases) {
    it(`${raw} → ${path}`, () => {
      const result = canonicalPath(raw);
      assert.deepEqual(result, { path, segments, query, target });
      assert.ok(Object.isFrozen(result) && Object.isFrozen(result.segments));
    });
  }

  it('keeps a leading byte-order mark instead of dropping it', () => {
    assert.deepEqual(canonicalPath('/%EF%BB%BFadmin').segments, ['\uFEFFadmin']);
  });

  it('accepts exactly the limits', () => {
    const raw = `/${'a'.repeat(8191)}`;
    assert.equal(canonicalPath(raw).path, raw);
    assert.equal(canonicalPath('/a/b/c', { maxSegments: 3 }).segments.length, 3);
  });

  it('encodeSegment keeps pchar literal and escapes the rest in upper case', () => {
    assert.equal(encodeSegment('café au lait'), 'caf%C3%A9%20au%20lait');
    assert.equal(encodeSegment("a:b@c!$&'()*+,=-._~"), "a:b@c!$&'()*+,=-._~");
    assert.equal(encodeSegment(';/?#%\\'), '%3B%2F%3F%23%25%5C');
  });
});

describe('canonicalPath: refused targets', () => {
  const rejects: readonly (readonly [label: string, raw: string])[] = [
    // target forms
    ['empty', ''],
    ['asterisk-form', '*'],
    ['absolute-form', 'http://evil.example/admin'],
    ['absolute-form https', 'https://internal:8443/'],
    ['authority-form', 'internal.example:443'],
    ['relative', 'admin'],
    // encoded slash
    ['%2F', '/a%2Fb'],
    ['%2f', '/a%2fb'],
    ['%2f leading', '/%2fadmin'],
    ['%2f/ traversal', '/static/..%2f..%2fadmin'],
    // backslash
    ['literal backslash', '/\\admin'],
    ['backslash inside', '/a\\..\\admin'],
    ['%5C', '/a%5Cb'],
    ['%5c', '/%5cadmin'],
    // encoded dot
    ['%2E', '/a%2Eb'],
    ['%2e%2e', '/%2e%2e/admin'],
    ['%2E%2E mixed', '/%2E%2e/admin'],
    ['.%2e', '/a/.%2e/admin'],
    ['%2e.', '/a/%2e./admin'],
    ['%2e alone', '/a/%2e/b'],
    // double encoding
    ['%252e%252e', '/a/%252e%252e/'],
    ['%252f', '/a%252fb'],
    ['%252F', '/a%252Fb'],
    ['%2541', '/%2541'],
    ['%25 with encoded hex', '/%25%34%31'],
    ['%25%32%66', '/a%25%32%66b'],
    // malformed escapes
    ['% at end', '/a%'],
    ['% one digit', '/a%4'],
    ['% one digit before /', '/a%4/b'],
    ['% non-hex', '/a%zz'],
    ['% half hex', '/a%4g'],
    ['%% ', '/a%%41'],
    ['% before query', '/a%4?x'],
    // invalid UTF-8
    ['overlong dot', '/%c0%ae%c0%ae/'],
    ['overlong slash', '/%C0%AF'],
    ['lone continuation', '/%80'],
    ['truncated sequence', '/caf%C3'],
    ['surrogate', '/%ED%A0%80'],
    ['above U+10FFFF', '/%F4%90%80%80'],
    ['invalid lead byte', '/%FF'],
    // control characters
    ['NUL literal', '/admin\u0000'],
    ['%00', '/admin%00'],
    ['%00 before extension', '/file.txt%00.png'],
    ['tab', '/ad\tmin'],
    ['CR', '/admin\r'],
    ['LF', '/admin\nx'],
    ['%0d%0a', '/a%0d%0aSet-Cookie:x'],
    ['%09', '/a%09'],
    ['DEL literal', '/a\u007f'],
    ['%7F', '/a%7F'],
    ['C1 literal', '/a\u0085'],
    ['C1 encoded', '/a%C2%85'],
    ['C1 encoded upper', '/a%C2%9F'],
    ['line separator', '/a%E2%80%A8'],
    // path parameters and fragments
    ['..;/', '/..;/admin'],
    ['/admin/..;/', '/admin/..;/'],
    [';jsessionid', '/a;jsessionid=1'],
    ['%3B', '/a%3Bb'],
    ['%3b', '/a%3bb'],
    ['#', '/admin#x'],
    ['# in query', '/a?x=1#frag'],
    ['%23', '/c%23'],
    ['%3F', '/admin%3F/x'],
    ['%3f', '/admin%3f'],
    // dot-segments
    ['..', '/a/../admin'],
    ['.', '/a/./b'],
    ['leading ..', '/../etc/passwd'],
    ['trailing ..', '/a/..'],
    ['trailing .', '/a/.'],
    ['.. after //', '/a//../b'],
    // characters outside pchar
    ['space', '/a b'],
    ['quote', '/a"b'],
    ['angle', '/<script>'],
    ['brace', '/a{b}'],
    ['pipe', '/a|b'],
    ['caret', '/a^b'],
    ['backtick', '/a`b'],
    ['raw non-ASCII', '/café'],
    ['raw latin1', '/caf\u00e9'],
    // Unicode look-alikes of delimiters
    ['fullwidth solidus', '/a%EF%BC%8Fb'],
    ['fullwidth full stops', '/%EF%BC%8E%EF%BC%8E/admin'],
    ['two dot leader', '/a/%E2%80%A5/admin'],
    ['small reverse solidus', '/a%EF%B9%A8b'],
    ['fullwidth percent', '/a%EF%BC%85%32%66'],
    // query
    ['query space', '/a?b c'],
    ['query tab', '/a?b\tc'],
    ['query NUL', '/a?b%00'],
    ['query DEL', '/a?b\u007f'],
    ['query raw non-ASCII', '/a?q=café'],
    ['query malformed escape', '/a?q=%'],
    ['query malformed escape 2', '/a?q=%G1'],
    ['query invalid UTF-8', '/a?q=%E9'],
    ['query overlong', '/a?q=%c0%ae'],
  ];
  for (const [label, raw] of rejects) {
    it(`${label}: ${JSON.stringify(raw)} → GW_BAD_PATH`, () => {
      assertCode(() => canonicalPath(raw), 'GW_BAD_PATH', label);
    });
  }

  it('refuses a target over the length limit with GW_URI_TOO_LONG', () => {
    assertCode(() => canonicalPath(`/${'a'.repeat(8192)}`), 'GW_URI_TOO_LONG');
    assertCode(() => canonicalPath(`/a?${'q'.repeat(8190)}`), 'GW_URI_TOO_LONG');
    assertCode(() => canonicalPath('/abcdef', { maxTargetLength: 5 }), 'GW_URI_TOO_LONG');
  });

  it('refuses more segments than the limit with GW_URI_TOO_LONG', () => {
    assertCode(() => canonicalPath('/a/b/c/d', { maxSegments: 3 }), 'GW_URI_TOO_LONG');
    assertCode(() => canonicalPath('/a'.repeat(129)), 'GW_URI_TOO_LONG');
    assert.equal(canonicalPath('/a'.repeat(128)).segments.length, 128);
  });

  it('checks length before content', () => {
    assertCode(() => canonicalPath(`/%2e${'a'.repeat(9000)}`), 'GW_URI_TOO_LONG');
  });

  it('throws TypeError for a non-string (programmer error)', () => {
    assert.throws(() => canonicalPath(42 as unknown as string), TypeError);
  });
});
