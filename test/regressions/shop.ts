// The system every regression case runs against: a real gateway (buildGateway, HTTPS, HTTP/2 and
// HTTP/1.1) in front of a real mTLS echo service, with a protected route and an admin route.
import type { FixturePorts } from '@rampart/gateway/testing';
import { yamlHead } from '@rampart/testing';

export { startGatewayFixture, mint, b64url, type GatewayFixture } from '@rampart/gateway/testing';

/** `/orders` for `orders:read`; `/admin` for group `admins`; `/catalog` public and cached. */
export const shopYaml = (ports: FixturePorts, extra = ''): string =>
  `${yamlHead(ports)}${extra}
policies:
  read: { scopes: [orders:read] }
  admins: { groups: [admins] }
  anyone: { public: true }
services:
  orders:
    entry: orders.ts
    port: ${ports.services['orders']}
    callers: [gateway]
    routes:
      - { method: GET, path: /orders, policy: read, cache: { ttl: 1m } }
      - { method: GET, path: "/orders/{id}", policy: read }
      - { method: GET, path: /admin, policy: admins }
      - { method: GET, path: /admin/users, policy: admins }
      - { method: GET, path: /catalog, policy: anyone, cache: { ttl: 1m } }
`;

/** Requests the echo service received, all paths together. */
export function upstreamHits(hits: ReadonlyMap<string, number> | undefined): number {
  let total = 0;
  for (const count of hits?.values() ?? []) total += count;
  return total;
}
