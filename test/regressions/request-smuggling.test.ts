// Request smuggling (CL.TE, TE.CL, TE.TE): a front end and a back end disagree on where a request
// ends. CVE-2022-32214/32215 and CVE-2023-30589 (Node's llhttp), CVE-2019-18802 (Envoy),
// CVE-2020-7238 (Netty). The gateway refuses every ambiguous framing and re-frames the body itself.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { shopYaml, startGatewayFixture, upstreamHits, type GatewayFixture } from './shop.ts';

const shapes: [name: string, headers: string[]][] = [
  ['CL.TE: Content-Length with Transfer-Encoding', ['content-length: 4', 'transfer-encoding: chunked']],
  ['TE.TE: chunked, identity', ['transfer-encoding: chunked, identity']],
  ['TE.TE: capitalised value', ['transfer-encoding: Chunked']],
  ['TE.TE: two Transfer-Encoding fields', ['transfer-encoding: chunked', 'transfer-encoding: chunked']],
  ['two Content-Length fields, equal', ['content-length: 0', 'content-length: 0']],
  ['Content-Length with a sign', ['content-length: +0']],
  ['Content-Length list', ['content-length: 0, 0']],
  ['underscore alias content_length (CGI backends)', ['content_length: 5']],
  ['underscore alias transfer_encoding', ['transfer_encoding: chunked']],
  ['obs-fold continuation line', ['x-a: 1', ' x-b: 2']],
  ['header name with a space', ['content-length : 0']],
];

describe('regression: request smuggling shapes', () => {
  let gw: GatewayFixture;
  before(async () => {
    gw = await startGatewayFixture({ services: ['orders'], yaml: (ports) => shopYaml(ports) });
  });
  after(async () => {
    await gw.close();
  });

  for (const [name, headers] of shapes) {
    it(`${name} is refused, and nothing reaches the service`, async () => {
      const before = upstreamHits(gw.services.get('orders')?.hits);
      const answer = await gw.raw([
        'GET /catalog HTTP/1.1',
        'host: 127.0.0.1',
        ...headers,
        'connection: close',
        '',
        '0',
      ]);
      assert.match(answer, /^HTTP\/1\.1 400 /u, `${name}: ${answer.split('\r\n')[0] ?? ''}`);
      assert.equal(upstreamHits(gw.services.get('orders')?.hits), before);
    });
  }
});
