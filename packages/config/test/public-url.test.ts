import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gatewayOrigin, parseConfig, platformIssuer } from '@rampart/config';
import { BASE } from './helpers.ts';

const withPublicUrl = (url: string): string => `${BASE}gateway:\n  publicUrl: ${JSON.stringify(url)}\n`;

describe('gateway.publicUrl: the public origin', () => {
  it('is https://127.0.0.1:<ports.gateway> when unset, the issuer beneath it', () => {
    const loaded = parseConfig(`${BASE}ports: { gateway: 9443 }\n`, 'rampart.yaml');
    assert.ok(loaded.ok);
    assert.equal(gatewayOrigin(loaded.config), 'https://127.0.0.1:9443');
    assert.equal(platformIssuer(loaded.config), 'https://127.0.0.1:9443/auth');
  });

  for (const url of [
    'https://api.example.com',
    'https://api.example.com:8443',
    'https://10.0.0.7',
    'https://[fd00::1]:8443',
  ]) {
    it(`is ${url} when set so, and the default issuer follows`, () => {
      const loaded = parseConfig(withPublicUrl(url), 'rampart.yaml');
      assert.deepEqual(loaded.problems, []);
      assert.ok(loaded.ok);
      assert.equal(gatewayOrigin(loaded.config), url);
      assert.equal(platformIssuer(loaded.config), `${url}/auth`);
    });
  }

  it('leaves an explicit identity.issuer alone', () => {
    const loaded = parseConfig(
      `${withPublicUrl('https://api.example.com')}identity:\n  issuer: https://id.example.com/auth\n`,
      'rampart.yaml',
    );
    assert.ok(loaded.ok);
    assert.equal(platformIssuer(loaded.config), 'https://id.example.com/auth');
  });

  const refused: [label: string, url: string, message: RegExp][] = [
    ['plain http', 'http://api.example.com', /must use https/u],
    ['a path', 'https://api.example.com/api', /must be an origin alone/u],
    ['a trailing slash', 'https://api.example.com/', /must be an origin alone/u],
    ['a query', 'https://api.example.com?x=1', /must be an origin alone/u],
    ['a fragment', 'https://api.example.com#top', /must be an origin alone/u],
    ['user info', 'https://user@api.example.com', /must be an origin alone/u],
    ['upper case', 'https://API.example.com', /must be an origin alone/u],
    ['the default port written out', 'https://api.example.com:443', /must be an origin alone/u],
    ['no scheme', 'api.example.com', /is not an absolute URL/u],
  ];
  for (const [label, url, message] of refused) {
    it(`refuses ${label} with CFG_PUBLIC_URL at its line`, () => {
      const loaded = parseConfig(withPublicUrl(url), 'rampart.yaml');
      assert.equal(loaded.ok, false);
      const problem = loaded.problems.find((candidate) => candidate.code === 'CFG_PUBLIC_URL');
      assert.ok(problem, JSON.stringify(loaded.problems));
      assert.match(problem.message, message);
      assert.match(problem.message, /`gateway\.publicUrl`/u);
      assert.equal(problem.line, BASE.split('\n').length + 1);
      assert.match(problem.fix ?? '', /https:\/\/api\.example\.com/u);
    });
  }
});
