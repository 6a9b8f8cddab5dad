import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '@rampart/config';
import { BASE } from './helpers.ts';

const withGateway = (gateway: string): string => `${BASE}gateway:\n${gateway}`;
const problems = (text: string) => parseConfig(text, 'rampart.yaml').problems;

describe('the gateway section', () => {
  it('accepts a full, valid section', () => {
    const result = parseConfig(
      withGateway(
        [
          '  trustedProxies: [10.0.0.7, 10.0.0.0/8, "fd00::/8"]',
          '  identityRateLimit: { points: 100, window: 1m, blockFor: 5m }',
          '  cors:',
          '    origins: [https://shop.example, "http://127.0.0.1:5173", "https://[::1]:8080"]',
          '    credentials: true',
          '    methods: [GET, POST]',
          '    headers: [authorization, content-type, dpop]',
          '    exposeHeaders: [x-request-id]',
          '    maxAge: 10m',
          '',
        ].join('\n'),
      ),
      'rampart.yaml',
    );
    assert.deepEqual(result.problems, []);
    assert.equal(result.ok, true);
  });

  const refused: [label: string, gateway: string, message: RegExp][] = [
    ['"*" with credentials', '  cors: { origins: ["*"], credentials: true }\n', /together with credentials/u],
    [
      '"*" beside other origins',
      '  cors: { origins: ["*", "https://a.example"] }\n',
      /beside other origins/u,
    ],
    ['an origin with a path', '  cors: { origins: ["https://a.example/app"] }\n', /./u],
    ['an origin with a trailing slash', '  cors: { origins: ["https://a.example/"] }\n', /./u],
    ['an upper-case origin', '  cors: { origins: ["https://A.example"] }\n', /./u],
    ['a null origin', '  cors: { origins: ["null"] }\n', /./u],
    ['an unknown cors key', '  cors: { origins: ["https://a.example"], allowAll: true }\n', /allowAll/u],
    ['a header that is not a token', '  cors: { origins: ["https://a.example"], headers: ["x y"] }\n', /./u],
    [
      'a trusted proxy that is a name',
      '  trustedProxies: [proxy.internal]\n',
      /entry 1 is not an IP address or CIDR/u,
    ],
    ['a CIDR prefix too long', '  trustedProxies: [10.0.0.0/33]\n', /not an IP address or CIDR/u],
    [
      'an identity limit by user only',
      '  identityRateLimit: { points: 5, window: 1m, by: [user] }\n',
      /counts only by user or client/u,
    ],
  ];
  for (const [label, gateway, message] of refused) {
    it(`refuses ${label}`, () => {
      const found = problems(withGateway(gateway));
      assert.ok(found.length > 0, 'a problem is reported');
      assert.ok(found.every((p) => p.severity === 'error'));
      assert.ok(
        found.some((p) => message.test(p.message)),
        JSON.stringify(found),
      );
    });
  }
});
