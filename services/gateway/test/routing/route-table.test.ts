import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRampartError } from '@rampart/errors';
import { buildRouteTable, MethodNotAllowed } from '../../src/routing/index.ts';
import { assertCode } from '../request/assert-code.ts';
import { configWith } from './fixtures.ts';

const split = (path: string): string[] => path.split('/').filter((s) => s !== '');

const table = buildRouteTable(
  configWith(
    {
      orders: [
        ['GET', '/orders'],
        ['POST', '/orders'],
        ['GET', '/orders/{id}'],
        ['DELETE', '/orders/{orderId}'],
        ['GET', '/orders/recent'],
        ['POST', '/orders/new'],
        ['GET', '/orders/{id}/items/{item}'],
        ['PUT', '/orders/{id}/items/special'],
        ['HEAD', '/orders/{id}/receipt'],
        ['GET', '/orders/{id}/receipt'],
        ['GET', '/a/b/c'],
        ['GET', '/{x}/b/d'],
      ],
      profiles: [
        ['GET', '/profiles/me'],
        ['PUT', '/profiles/me'],
        ['GET', '/'],
      ],
    },
    { p: { scopes: ['read'] }, open: { public: true } },
  ),
);

describe('buildRouteTable: matches', () => {
  const cases: readonly (readonly [
    method: string,
    path: string,
    service: string,
    template: string,
    params: Record<string, string>,
  ])[] = [
    ['GET', '/orders', 'orders', '/orders', {}],
    ['POST', '/orders', 'orders', '/orders', {}],
    ['GET', '/orders/42', 'orders', '/orders/{id}', { id: '42' }],
    ['DELETE', '/orders/42', 'orders', '/orders/{orderId}', { orderId: '42' }],
    ['GET', '/orders/recent', 'orders', '/orders/recent', {}],
    // static wins where it serves the method; otherwise the parameter route still serves it
    ['GET', '/orders/new', 'orders', '/orders/{id}', { id: 'new' }],
    ['POST', '/orders/new', 'orders', '/orders/new', {}],
    ['GET', '/orders/7/items/x', 'orders', '/orders/{id}/items/{item}', { id: '7', item: 'x' }],
    ['PUT', '/orders/7/items/special', 'orders', '/orders/{id}/items/special', { id: '7' }],
    ['GET', '/orders/7/items/special', 'orders', '/orders/{id}/items/{item}', { id: '7', item: 'special' }],
    ['HEAD', '/orders', 'orders', '/orders', {}],
    ['HEAD', '/orders/9', 'orders', '/orders/{id}', { id: '9' }],
    ['GET', '/profiles/me', 'profiles', '/profiles/me', {}],
    ['GET', '/', 'profiles', '/', {}],
    // backtracking: /a/b leads nowhere for d, /{x}/b/d does
    ['GET', '/a/b/c', 'orders', '/a/b/c', {}],
    ['GET', '/a/b/d', 'orders', '/{x}/b/d', { x: 'a' }],
    // decoded values are passed through as they are
    ['GET', '/orders/caf\u00e9 1', 'orders', '/orders/{id}', { id: 'caf\u00e9 1' }],
    ['GET', '/orders/__proto__', 'orders', '/orders/{id}', { id: '__proto__' }],
  ];
  for (const [method, path, service, template, params] of cases) {
    it(`${method} ${path} → ${template}`, () => {
      const matched = table.match(method, split(path), false);
      assert.equal(matched.service, service);
      assert.equal(matched.template, template);
      assert.equal(matched.route.path, template);
      assert.deepEqual({ ...matched.params }, params);
      assert.equal(Object.getPrototypeOf(matched.params), null);
      assert.ok(Object.isFrozen(matched.params) && Object.isFrozen(matched));
      assert.deepEqual(matched.policy, { scopes: ['read'] });
    });
  }

  it('HEAD prefers an explicit HEAD route over the GET one', () => {
    assert.equal(table.match('HEAD', split('/orders/1/receipt'), false).route.method, 'HEAD');
    assert.equal(table.match('GET', split('/orders/1/receipt'), false).route.method, 'GET');
  });

  it('param names are per route, not per trie node', () => {
    assert.deepEqual(Object.keys(table.match('DELETE', ['orders', '1'], false).params), ['orderId']);
    assert.deepEqual(Object.keys(table.match('GET', ['orders', '1'], false).params), ['id']);
  });

  it('lists every route in configuration order', () => {
    assert.equal(table.routes.length, 15);
    assert.equal(table.routes[0]?.template, '/orders');
    assert.deepEqual(table.routes[6]?.paramNames, [undefined, 'id', undefined, 'item']);
  });
});

describe('buildRouteTable: 404 and 405', () => {
  const notFound: readonly (readonly [string, string])[] = [
    ['GET', '/nothing'],
    ['GET', '/orders/1/2'],
    ['GET', '/Orders'],
    ['GET', '/ORDERS/1'],
    ['GET', '/profiles'],
    ['GET', '/profiles/me/x'],
    ['GET', '/a/b'],
    ['POST', '/nothing/at/all'],
  ];
  for (const [method, path] of notFound) {
    it(`${method} ${path} → GW_ROUTE_NOT_FOUND`, () => {
      assertCode(() => table.match(method, split(path), false), 'GW_ROUTE_NOT_FOUND');
    });
  }

  const wrongMethod: readonly (readonly [string, string, readonly string[]])[] = [
    ['PUT', '/orders', ['GET', 'HEAD', 'POST']],
    ['DELETE', '/profiles/me', ['GET', 'HEAD', 'PUT']],
    ['PATCH', '/orders/1', ['GET', 'HEAD', 'DELETE']],
    // the union over every route whose path matches: static and parameter alike
    ['PATCH', '/orders/new', ['GET', 'HEAD', 'POST', 'DELETE']],
    ['POST', '/orders/1/receipt', ['GET', 'HEAD']],
    ['OPTIONS', '/', ['GET', 'HEAD']],
    ['TRACE', '/orders', ['GET', 'HEAD', 'POST']],
  ];
  for (const [method, path, allowed] of wrongMethod) {
    it(`${method} ${path} → 405 allowing ${allowed.join(', ')}`, () => {
      assert.throws(
        () => table.match(method, split(path), false),
        (error: unknown) => {
          assert.ok(error instanceof MethodNotAllowed);
          assert.ok(isRampartError(error));
          assert.equal(error.code, 'GW_METHOD_NOT_ALLOWED');
          assert.equal(error.status, 405);
          assert.deepEqual(error.allowed, allowed);
          assert.ok(Object.isFrozen(error.allowed));
          return true;
        },
      );
    });
  }
});

describe('buildRouteTable: trailing slash', () => {
  it('/orders/ is not /orders', () => {
    assertCode(() => table.match('GET', ['orders'], true), 'GW_ROUTE_NOT_FOUND');
    assertCode(() => table.match('GET', ['orders', '1'], true), 'GW_ROUTE_NOT_FOUND');
    assert.equal(table.match('GET', ['orders'], false).template, '/orders');
  });
  it('/ has no trailing slash of its own', () => {
    assert.equal(table.match('GET', [], true).template, '/');
  });
});

describe('buildRouteTable: many routes', () => {
  it('matches each of 2000 routes exactly, with params', () => {
    const routes: ['GET' | 'POST', string][] = [];
    for (let i = 0; i < 1000; i++) {
      routes.push(['GET', `/r${i}/{id}/s${i % 7}`]);
      routes.push(['POST', `/r${i}/static/{x}`]);
    }
    const big = buildRouteTable(configWith({ many: routes }));
    for (let i = 0; i < 1000; i++) {
      const get = big.match('GET', [`r${i}`, 'v', `s${i % 7}`], false);
      assert.equal(get.template, `/r${i}/{id}/s${i % 7}`);
      assert.deepEqual({ ...get.params }, { id: 'v' });
      assert.equal(big.match('POST', [`r${i}`, 'static', 'y'], false).template, `/r${i}/static/{x}`);
      // GET /r{i}/static/s{i%7}: the static branch has no GET, the parameter branch does
      assert.equal(
        big.match('GET', [`r${i}`, 'static', `s${i % 7}`], false).template,
        `/r${i}/{id}/s${i % 7}`,
      );
    }
  });
});

describe('buildRouteTable: fails closed on a bad configuration', () => {
  const cases: readonly (readonly [string, () => unknown, RegExp])[] = [
    [
      'a policy that is not declared',
      () => buildRouteTable(configWith({ s: [{ method: 'GET', path: '/x', policy: 'nope' }] })),
      /names policy "nope", which is not under policies/,
    ],
    [
      'a policy name inherited from Object.prototype',
      () => buildRouteTable(configWith({ s: [{ method: 'GET', path: '/x', policy: 'constructor' }] })),
      /not under policies/,
    ],
    [
      'no policy at all',
      () => buildRouteTable(configWith({ s: [{ method: 'GET', path: '/x' }] })),
      /names no policy/,
    ],
    [
      'no policies section',
      () =>
        buildRouteTable({
          version: 1,
          name: 't',
          services: { s: { entry: 's.ts', port: 1, routes: [{ method: 'GET', path: '/x', policy: 'p' }] } },
        }),
      /not under policies/,
    ],
    [
      'duplicate method and shape across services',
      () => buildRouteTable(configWith({ a: [['GET', '/x/{id}']], b: [['GET', '/x/{other}']] })),
      /duplicates GET \/x\/\{id\} \(service a\)/,
    ],
    ['a parameter named twice', () => buildRouteTable(configWith({ s: [['GET', '/x/{id}/{id}']] })), /twice/],
    ['a dot segment', () => buildRouteTable(configWith({ s: [['GET', '/x/..']] })), /invalid segment/],
    ['an empty segment', () => buildRouteTable(configWith({ s: [['GET', '/x//y']] })), /invalid segment/],
    ['a trailing slash', () => buildRouteTable(configWith({ s: [['GET', '/x/']] })), /invalid segment/],
    ['a relative path', () => buildRouteTable(configWith({ s: [['GET', 'x']] })), /must start with/],
    ['a route under /auth', () => buildRouteTable(configWith({ s: [['POST', '/auth/token']] })), /reserves/],
    ['a route at /Auth', () => buildRouteTable(configWith({ s: [['GET', '/Auth']] })), /reserves/],
    ['a route under /console', () => buildRouteTable(configWith({ s: [['GET', '/console/x']] })), /reserves/],
  ];
  for (const [label, build, message] of cases) {
    it(label, () => {
      assert.throws(build, (error: unknown) => error instanceof TypeError && message.test(error.message));
    });
  }
});
