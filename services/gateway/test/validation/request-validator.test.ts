import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouteConfig } from '@rampart/config';
import { isRampartError, type ErrorCode } from '@rampart/errors';
import { buildRouteTable } from '../../src/routing/index.ts';
import {
  BadRequest,
  DEFAULT_MAX_BODY_BYTES,
  validateRequest,
  type FieldProblem,
} from '../../src/validation/index.ts';
import { assertCode } from '../request/assert-code.ts';
import { send } from './fixtures.ts';

const good = { sku: 'ABC-123', qty: 2 };

function assertField(fn: () => unknown, expected: FieldProblem): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof BadRequest, String(error));
    assert.equal(error.code, 'GW_BAD_REQUEST');
    assert.equal(error.status, 400);
    assert.deepEqual(error.fields, [expected]);
    assert.ok(error.detail !== undefined && error.detail.length > 0);
    return true;
  });
}

describe('validateRequest: accepted', () => {
  it('returns the parsed body, query and params', () => {
    const result = send('POST', '/orders/42', { body: good, query: 'limit=10&tag=a&tag=b' });
    assert.deepEqual(result.body, good);
    assert.deepEqual({ ...result.query }, { limit: '10', tag: ['a', 'b'] });
    assert.deepEqual({ ...result.params }, { id: '42' });
    assert.equal(Object.getPrototypeOf(result.query), null);
  });
  it('takes a URLSearchParams or a query with "?"', () => {
    const matched = send('GET', '/orders', { query: '?a=1&a=2&b=%20x+y' });
    assert.deepEqual({ ...matched.query }, { a: ['1', '2'], b: ' x y' });
  });
  const contentTypes: readonly string[] = [
    'application/json',
    'application/json; charset=utf-8',
    'application/json;charset=UTF-8',
    'Application/JSON',
    '  application/json ; foo="bar"',
  ];
  for (const contentType of contentTypes) {
    it(`accepts Content-Type ${JSON.stringify(contentType)}`, () => {
      assert.deepEqual(send('POST', '/orders/1', { body: good, contentType }).body, good);
    });
  }
  it('a +json type where the route lists it', () => {
    const body = { qty: 1 };
    assert.deepEqual(
      send('PATCH', '/orders/1', { body, contentType: 'application/merge-patch+json' }).body,
      body,
    );
  });
  it('a non-JSON type where the route lists it: the raw buffer', () => {
    const result = send('PUT', '/notes', { body: 'hello', contentType: 'text/plain; charset=utf-8' });
    assert.ok(Buffer.isBuffer(result.body));
    assert.equal(String(result.body), 'hello');
  });
  it('no body and no body schema: undefined, and no Content-Type needed', () => {
    assert.equal(send('GET', '/orders', { contentType: undefined }).body, undefined);
    assert.equal(send('GET', '/orders', { body: Buffer.alloc(0), contentType: undefined }).body, undefined);
    assert.equal(send('POST', '/free', { contentType: undefined }).body, undefined);
  });
  it('a body on GET where the route schema has one', () => {
    assert.deepEqual(send('GET', '/search', { body: { q: 'x' } }).body, { q: 'x' });
  });
  it('a JSON body without a schema is parsed, not validated', () => {
    assert.deepEqual(send('POST', '/free', { body: [1, { a: null }] }).body, [1, { a: null }]);
  });
  it('a body of exactly the default limit', () => {
    const body = `"${'x'.repeat(DEFAULT_MAX_BODY_BYTES - 2)}"`;
    assert.equal(send('POST', '/free', { body }).body, 'x'.repeat(DEFAULT_MAX_BODY_BYTES - 2));
  });
  it('deeply nested JSON within the size limit parses without overflowing the stack', () => {
    const body = '['.repeat(30000) + ']'.repeat(30000);
    assert.ok(Array.isArray(send('POST', '/free', { body }).body));
  });
  it('a plain "constructor" key is data, not poisoning', () => {
    assert.deepEqual(send('POST', '/free', { body: '{"constructor":"x","a":{"prototype":1}}' }).body, {
      constructor: 'x',
      a: { prototype: 1 },
    });
  });
  it('a __proto__ query key stays an own property of a prototype-less object', () => {
    const { query } = send('GET', '/orders', { query: '__proto__=x&constructor=y' });
    assert.equal(Object.getPrototypeOf(query), null);
    assert.equal(query['__proto__'], 'x');
    assert.equal(({} as Record<string, unknown>)['x'], undefined);
  });
  it('compiles on first use when the route did not come from a table', () => {
    const route: RouteConfig = {
      method: 'POST',
      path: '/x',
      policy: 'p',
      schema: { body: { type: 'object', required: ['a'], properties: { a: { type: 'string' } } } },
    };
    const input = { params: {}, query: '', contentType: 'application/json', body: Buffer.from('{}') };
    assertField(() => validateRequest({ route }, input), {
      in: 'body',
      pointer: '/a',
      message: 'is required',
    });
  });
});

describe('validateRequest: schema violations name the field', () => {
  const cases: readonly (readonly [string, () => unknown, FieldProblem])[] = [
    [
      'missing required property',
      () => send('POST', '/orders/1', { body: { qty: 1 } }),
      { in: 'body', pointer: '/sku', message: 'is required' },
    ],
    [
      'additional property',
      () => send('POST', '/orders/1', { body: { ...good, role: 'admin' } }),
      { in: 'body', pointer: '/role', message: 'is not allowed' },
    ],
    [
      'additional property with "/" and "~" is escaped (RFC 6901)',
      () => send('POST', '/orders/1', { body: { ...good, 'a/b~c': 1 } }),
      { in: 'body', pointer: '/a~1b~0c', message: 'is not allowed' },
    ],
    [
      'wrong type',
      () => send('POST', '/orders/1', { body: { ...good, qty: '2' } }),
      { in: 'body', pointer: '/qty', message: 'must be integer' },
    ],
    [
      'below minimum',
      () => send('POST', '/orders/1', { body: { ...good, qty: 0 } }),
      { in: 'body', pointer: '/qty', message: 'must be >= 1' },
    ],
    [
      'pattern',
      () => send('POST', '/orders/1', { body: { ...good, sku: 'abc' } }),
      { in: 'body', pointer: '/sku', message: 'must match pattern "^[A-Z]{3}-[0-9]{3}$"' },
    ],
    [
      'format',
      () => send('POST', '/orders/1', { body: { ...good, email: 'nope' } }),
      { in: 'body', pointer: '/email', message: 'must match format "email"' },
    ],
    [
      'enum',
      () => send('POST', '/orders/1', { body: { ...good, color: 'green' } }),
      { in: 'body', pointer: '/color', message: 'must be equal to one of the allowed values' },
    ],
    [
      'nested array item',
      () => send('POST', '/orders/1', { body: { ...good, items: [{ sku: 'a' }, {}] } }),
      { in: 'body', pointer: '/items/1/sku', message: 'is required' },
    ],
    [
      'the whole body of the wrong type',
      () => send('POST', '/orders/1', { body: [good] }),
      { in: 'body', pointer: '', message: 'must be object' },
    ],
    [
      'no body where the schema wants one',
      () => send('POST', '/orders/1', { contentType: undefined }),
      { in: 'body', pointer: '', message: 'is required' },
    ],
    [
      'invalid JSON',
      () => send('POST', '/free', { body: '{"a":' }),
      { in: 'body', pointer: '', message: 'is not valid JSON' },
    ],
    [
      'invalid UTF-8',
      () => send('POST', '/free', { body: Buffer.from([0x22, 0xc0, 0xae, 0x22]) }),
      { in: 'body', pointer: '', message: 'is not valid UTF-8' },
    ],
    [
      'body on GET without a body schema',
      () => send('GET', '/orders', { body: {} }),
      { in: 'body', pointer: '', message: 'is not allowed on this route' },
    ],
    [
      'body on HEAD (served by the GET route)',
      () => send('HEAD', '/orders', { body: {} }),
      { in: 'body', pointer: '', message: 'is not allowed on this route' },
    ],
    [
      'body on DELETE',
      () => send('DELETE', '/orders/1', { body: {} }),
      { in: 'body', pointer: '', message: 'is not allowed on this route' },
    ],
    [
      'path parameter',
      () => send('POST', '/orders/abc', { body: good }),
      { in: 'params', pointer: '/id', message: 'must match pattern "^[0-9]+$"' },
    ],
    [
      'query parameter',
      () => send('POST', '/orders/1', { body: good, query: 'limit=ten' }),
      { in: 'query', pointer: '/limit', message: 'must match pattern "^[0-9]+$"' },
    ],
    [
      'query parameter sent twice where one is expected',
      () => send('POST', '/orders/1', { body: good, query: 'limit=1&limit=2' }),
      { in: 'query', pointer: '/limit', message: 'must be string' },
    ],
    [
      'unknown query parameter',
      () => send('POST', '/orders/1', { body: good, query: 'debug=1' }),
      { in: 'query', pointer: '/debug', message: 'is not allowed' },
    ],
  ];
  for (const [label, fn, expected] of cases) {
    it(label, () => {
      assertField(fn, expected);
    });
  }

  it('a very long pointer is cut', () => {
    assert.throws(
      () => send('POST', '/orders/1', { body: { ...good, ['k'.repeat(1000)]: 1 } }),
      (error: unknown) => error instanceof BadRequest && error.fields[0]?.pointer.length === 257,
    );
  });
});

describe('validateRequest: prototype poisoning is refused', () => {
  const bodies: readonly string[] = [
    '{"__proto__":{"admin":true}}',
    '{"a":{"b":[{"__proto__":{"admin":true}}]}}',
    '{"\\u005f_proto__":{"admin":true}}',
    '{"__pr\\u006fto__":{"admin":true}}',
    '{"constructor":{"prototype":{"admin":true}}}',
    '{"a":{"constructor":{"prototype":{"admin":true}}}}',
    '{"constructor":{"protot\\u0079pe":{"admin":true}}}',
  ];
  for (const body of bodies) {
    it(body, () => {
      assertField(() => send('POST', '/free', { body }), {
        in: 'body',
        pointer: '',
        message: 'holds a forbidden property name',
      });
      assert.equal(({} as Record<string, unknown>)['admin'], undefined);
    });
  }
});

describe('validateRequest: media type and size', () => {
  const cases: readonly (readonly [string, () => unknown, ErrorCode])[] = [
    [
      'text/plain on a JSON route',
      () => send('POST', '/free', { body: '{}', contentType: 'text/plain' }),
      'GW_UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'no Content-Type with a body',
      () => send('POST', '/free', { body: '{}', contentType: undefined }),
      'GW_UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'malformed Content-Type',
      () => send('POST', '/free', { body: '{}', contentType: 'json' }),
      'GW_UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'empty Content-Type',
      () => send('POST', '/free', { body: '{}', contentType: '' }),
      'GW_UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'a prefix trick',
      () => send('POST', '/free', { body: '{}', contentType: 'application/jsonx' }),
      'GW_UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'a +json type the route does not list',
      () => send('POST', '/free', { body: '{}', contentType: 'application/merge-patch+json' }),
      'GW_UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'application/json where only merge-patch is listed',
      () => send('PATCH', '/orders/1', { body: '{}', contentType: 'application/json' }),
      'GW_UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'over the default limit',
      () => send('POST', '/free', { body: Buffer.alloc(DEFAULT_MAX_BODY_BYTES + 1, 0x20) }),
      'GW_PAYLOAD_TOO_LARGE',
    ],
    [
      "over the route's limit",
      () => send('PUT', '/notes', { body: 'x'.repeat(11), contentType: 'text/plain' }),
      'GW_PAYLOAD_TOO_LARGE',
    ],
    [
      'size is checked before the media type',
      () => send('PUT', '/notes', { body: 'x'.repeat(11), contentType: 'image/png' }),
      'GW_PAYLOAD_TOO_LARGE',
    ],
  ];
  for (const [label, fn, code] of cases) {
    it(`${label} → ${code}`, () => {
      assertCode(fn, code, label);
    });
  }
});

describe('compileRequestValidators: a schema that cannot be enforced fails the build', () => {
  const build = (schema: NonNullable<RouteConfig['schema']>) => () =>
    buildRouteTable({
      version: 1,
      name: 't',
      policies: { p: {} },
      services: {
        s: { entry: 's.ts', port: 1, routes: [{ method: 'POST', path: '/x', policy: 'p', schema }] },
      },
    });
  const cases: readonly (readonly [string, NonNullable<RouteConfig['schema']>, RegExp])[] = [
    [
      'unknown keyword (strict)',
      { body: { type: 'object', propertys: {} } },
      /POST \/x: schema.body does not compile/,
    ],
    [
      'properties without type (strictTypes)',
      { query: { properties: { a: { type: 'string' } } } },
      /schema.query/,
    ],
    [
      'unknown format',
      { params: { type: 'object', properties: { id: { type: 'string', format: 'nope' } } } },
      /schema.params/,
    ],
    ['remote $ref', { body: { $ref: 'https://example.com/s.json' } }, /schema.body does not compile/],
    [
      'body schema on a non-JSON type',
      { contentTypes: ['text/plain'], body: { type: 'string' } },
      /only be checked on JSON/,
    ],
    [
      'a content type with parameters',
      { contentTypes: ['application/json; charset=utf-8'] },
      /plain type\/subtype/,
    ],
    ['a wildcard content type', { contentTypes: ['*/*'] }, /plain type\/subtype/],
  ];
  for (const [label, schema, message] of cases) {
    it(label, () => {
      assert.throws(
        build(schema),
        (error: unknown) => error instanceof TypeError && message.test(error.message),
      );
    });
  }
  it('two routes may share a schema $id', () => {
    const schema = { body: { $id: 'https://rampart.dev/s/order', type: 'object' } };
    assert.doesNotThrow(() =>
      buildRouteTable({
        version: 1,
        name: 't',
        policies: { p: {} },
        services: {
          s: {
            entry: 's.ts',
            port: 1,
            routes: [
              { method: 'POST', path: '/x', policy: 'p', schema },
              { method: 'PUT', path: '/x', policy: 'p', schema: { body: { ...schema.body } } },
            ],
          },
        },
      }),
    );
  });
  it('errors are RampartErrors only for hostile input', () => {
    assert.ok(!isRampartError(new TypeError('x')));
  });
});

describe('validateRequest: strings that are not well-formed Unicode are refused', () => {
  const bodies: readonly [string, string][] = [
    ['{"sku":"\\ud800","qty":1}', '/sku'],
    ['{"sku":"ABC","qty":1,"note":"x\\udfffy"}', '/note'],
    ['{"a":[{"b":"ok"},{"c":"\\ud83d"}]}', '/a/1/c'],
    ['{"\\ud800":"value"}', '/\ud800'],
  ];
  for (const [body, pointer] of bodies) {
    it(`${body} → 400 naming ${JSON.stringify(pointer)}`, () => {
      assertField(() => send('POST', '/free', { body }), {
        in: 'body',
        pointer,
        message: 'is not well-formed Unicode',
      });
    });
  }

  it('a well-formed surrogate pair (an emoji) passes', () => {
    assert.deepEqual(send('POST', '/free', { body: '{"note":"\\ud83d\\ude00"}' }).body, { note: '😀' });
  });
});
