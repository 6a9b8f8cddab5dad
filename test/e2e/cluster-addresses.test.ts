// The shop under `rampart up --rehearse-cluster`: each component on a loopback address of its own
// (mesh 127.0.0.2, identity .3, audit .4, the gateway's admin port .5, the services 127.0.0.10… in
// the order of their names), told where it listens and where its peers are only through
// RAMPART_LISTEN_HOST and RAMPART_PEER_HOSTS, as the pods of `rampart export k8s` are; and
// `gateway.publicUrl` set to a name no resolver knows, as a cluster's public address is not the
// gateway's own. Whatever still listened or dialled on 127.0.0.1, or took its origin from its port,
// fails here. Linux routes all of 127.0.0.0/8 to `lo`, so no cluster is needed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { parseDocument } from 'yaml';
import { componentEnv } from '@rampart/config';
import { childPids, SHOP_TRUST_DOMAIN, startShop, type RunningShop } from '@rampart/testing';

const MESH = '127.0.0.2';
const IDENTITY = '127.0.0.3';
const AUDIT = '127.0.0.4';
const GATEWAY_ADMIN = '127.0.0.5';
/** The shop's services by name: orders, payments, profiles, reviews, stock. */
const SERVICES = {
  orders: '127.0.0.10',
  payments: '127.0.0.11',
  profiles: '127.0.0.12',
  reviews: '127.0.0.13',
};
const PUBLIC_HOST = 'shop.rehearsal.test';

/** Whether something accepts a TCP connection at host:port. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

/** The claims of a JWS, unverified (the gateway verified it). */
function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

/** A component's environment, from /proc (this test's user may read its own processes' environ). */
function environmentOf(pid: number): Record<string, string> {
  return Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

describe('cluster rehearsal: every component on an address of its own, reached by its peers there', () => {
  let shop: RunningShop;
  let publicUrl: string;
  let edge: Agent;
  let token: string;

  before(async () => {
    shop = await startShop({
      args: ['--rehearse-cluster'],
      edit: (yaml) => {
        const doc = parseDocument(yaml);
        const port = doc.getIn(['ports', 'gateway']);
        doc.setIn(['gateway', 'publicUrl'], `https://${PUBLIC_HOST}:${String(port)}`);
        return doc.toString();
      },
    });
    publicUrl = `https://${PUBLIC_HOST}:${shop.ports.gateway}`;
    // The gateway's public port keeps `gateway.listen` (127.0.0.1): the client connects there and
    // names the public host (Host, TLS server name), as it would through a load balancer.
    edge = new Agent({ connect: { ca: readFileSync(join(shop.home, 'ca.pem'), 'utf8') } });
    const secret = readFileSync(join(shop.home, 'clients/shop-cli.secret'), 'utf8').trim();
    const answer = await viaGateway('POST', '/auth/token', {
      headers: {
        authorization: `Basic ${Buffer.from(`shop-cli:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials&scope=orders%3Aread%20orders%3Awrite%20reviews%3Aread%20reviews%3Awrite',
    });
    assert.equal(answer.status, 200, answer.text);
    token = String((JSON.parse(answer.text) as { access_token?: string }).access_token);
  });

  after(async () => {
    await edge.close();
    await shop.stop();
  });

  async function viaGateway(
    method: 'GET' | 'POST',
    path: string,
    init: { headers?: Record<string, string>; body?: string } = {},
  ): Promise<{ status: number; text: string }> {
    const answer = await request(`https://127.0.0.1:${shop.ports.gateway}${path}`, {
      dispatcher: edge,
      method,
      headers: { host: `${PUBLIC_HOST}:${shop.ports.gateway}`, ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    return { status: answer.statusCode, text: await answer.body.text() };
  }

  async function api(method: 'GET' | 'POST', path: string, body?: unknown) {
    const answer = await viaGateway(method, path, {
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: answer.status, body: JSON.parse(answer.text || '{}') as Record<string, unknown> };
  }

  it('says where each component is', () => {
    for (const [name, url] of [
      ['mesh', `https://${MESH}:${shop.ports.mesh}`],
      ['identity', `https://${IDENTITY}:${shop.ports.identity}`],
      ['audit', `https://${AUDIT}:${shop.ports.audit}`],
      ['orders', `https://${SERVICES.orders}:${shop.ports.orders}`],
      ['gateway', publicUrl],
    ] as const) {
      // `  <name> <url> admin <origin>, pid <n>`
      assert.match(
        shop.up.output,
        new RegExp(`^  ${name} +${url.replaceAll('.', '\\.')}( +admin |$)`, 'mu'),
        name,
      );
    }
  });

  it('listens for each component on its own address, and on 127.0.0.1 for none', async () => {
    const own: [string, string, number][] = [
      ['mesh', MESH, shop.ports.mesh],
      ['mesh admin', MESH, shop.ports.meshAdmin],
      ['identity', IDENTITY, shop.ports.identity],
      ['identity admin', IDENTITY, shop.ports.identityAdmin],
      ['audit', AUDIT, shop.ports.audit],
      ['audit admin', AUDIT, shop.ports.auditAdmin],
      ['gateway admin', GATEWAY_ADMIN, shop.ports.admin],
      ['orders', SERVICES.orders, shop.ports.orders],
      ['orders admin', SERVICES.orders, shop.ports.orders + 1000],
      ['payments', SERVICES.payments, shop.ports.payments],
      ['profiles', SERVICES.profiles, shop.ports.profiles],
      ['reviews (sidecar)', SERVICES.reviews, shop.sidecars.reviews.port],
      ['reviews admin (sidecar)', SERVICES.reviews, shop.sidecars.reviews.admin],
    ];
    for (const [name, host, port] of own) {
      assert.equal(await accepts(host, port), true, `${name} listens on ${host}:${port}`);
      assert.equal(await accepts('127.0.0.1', port), false, `${name} does not listen on 127.0.0.1:${port}`);
    }
    // What stays on loopback: the sidecar's egress port and its process, beside it in one pod.
    assert.equal(await accepts('127.0.0.1', shop.sidecars.reviews.egress), true, 'egress stays on 127.0.0.1');
    assert.equal(
      await accepts('127.0.0.1', shop.sidecars.reviews.upstream),
      true,
      'the process stays on 127.0.0.1',
    );
  });

  it('gives each component its address and its peers through the component contract alone', () => {
    const gateway = childPids(shop.up.child.pid ?? 0)
      .map(environmentOf)
      .find((env) => env[componentEnv.component.name] === 'gateway');
    assert.ok(gateway, 'the gateway runs under rampart up');
    assert.equal(gateway[componentEnv.listenHost.name], GATEWAY_ADMIN);
    const peers = JSON.parse(gateway[componentEnv.peerHosts.name] ?? '{}') as Record<string, string>;
    assert.equal(peers['identity'], IDENTITY);
    assert.equal(peers['orders'], SERVICES.orders);
    assert.equal(gateway[componentEnv.meshUrl.name], `https://${MESH}:${shop.ports.mesh}`);
  });

  it('issues tokens for the public URL, and identity names it in its discovery document', async () => {
    const claims = claimsOf(token);
    assert.equal(claims['aud'], publicUrl);
    assert.equal(claims['iss'], `${publicUrl}/auth`);
    const discovery = await viaGateway('GET', '/auth/.well-known/openid-configuration');
    assert.equal(discovery.status, 200, discovery.text);
    const metadata = JSON.parse(discovery.text) as Record<string, string>;
    assert.equal(metadata['issuer'], `${publicUrl}/auth`);
    assert.equal(metadata['token_endpoint'], `${publicUrl}/auth/token`);
  });

  it('serves a request through the gateway → reviews (sidecar) → stock, each hop at its peer address', async () => {
    const created = await api('POST', '/reviews', { sku: 'TEA-GREEN', rating: 5, text: 'lovely' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body['available'], 120, 'stock (Java) answered through the egress port');
  });

  it('serves the gateway → orders → reviews (sidecar) → stock chain', async () => {
    await api('POST', '/reviews', { sku: 'MUG-1', rating: 4 });
    const order = await api('POST', '/orders', { items: [{ sku: 'MUG-1', quantity: 1 }] });
    assert.equal(order.status, 201, JSON.stringify(order.body));
    const shown = await api('GET', `/orders/${String(order.body['id'])}`);
    assert.equal(shown.status, 200, JSON.stringify(shown.body));
    const ratings = shown.body['ratings'] as Record<string, { count: number }>;
    assert.equal(ratings['MUG-1']?.count, 1);
  });

  it('lets the audit service reach identity: a token that is no admin token is refused by identity, not for want of it', async () => {
    const answer = await api('GET', '/audit/v1/events');
    assert.equal(answer.status, 401, JSON.stringify(answer.body));
    assert.equal(answer.body['code'], 'AUDIT_TOKEN_INVALID');
  });

  it("ships every component's security events to the audit service at its address", async () => {
    // A denial at the gateway: a security event of its own.
    assert.equal((await viaGateway('GET', '/orders')).status, 401);
    // Each sender is named by the SPIFFE ID its mTLS certificate proves.
    const expected = [
      'rampart/mesh',
      'rampart/identity',
      'rampart/gateway',
      'service/orders',
      'service/reviews',
    ].map((path) => `spiffe://${SHOP_TRUST_DOMAIN}/${path}`);
    const sources = async (): Promise<Set<string>> => {
      const metrics = await request(`http://${AUDIT}:${shop.ports.auditAdmin}/metrics`);
      const text = await metrics.body.text();
      return new Set(
        [...text.matchAll(/^audit_events_total\{[^}]*source="([^"]+)"[^}]*result="accepted"[^}]*\} (\d+)/gmu)]
          .filter((match) => Number(match[2]) > 0)
          .map((match) => match[1] ?? ''),
      );
    };
    let seen = new Set<string>();
    for (let i = 0; i < 100 && !expected.every((source) => seen.has(source)); i++) {
      seen = await sources();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const source of expected) assert.ok(seen.has(source), `${source}: ${[...seen].join(', ')}`);
  });
});
