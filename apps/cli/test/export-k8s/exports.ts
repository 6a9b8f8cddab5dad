// The exports the k8s tests check: the shop as it is, and a config using every external
// dependency (PostgreSQL, Redis, NATS, an alert webhook, an HTTPS upstream outside the mesh) with a
// call chain between services, one of them a process behind the sidecar whose image rampart.yaml names.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { componentEnv, parseConfig, type RampartConfig } from '@rampart/config';
import { exportK8s, type K8sExport } from '../../src/export/k8s/export-k8s.ts';
import type { K8sExportOptions } from '../../src/export/k8s/options.ts';
import { installationRoot } from '../../src/up/installation.ts';

export const root = installationRoot();
export const shopFile = join(root, 'examples/shop/rampart.yaml');

/**
 * The options the shop's golden export is made with (the Dockerfile's `shop` image layout), with the
 * images of its two processes behind the sidecar — reviews (Python) and stock (Java) — given as CI
 * would, pinned by digest (`--app-image`), and the sidecar's image pinned too.
 */
export const SHOP_OPTIONS: K8sExportOptions = {
  namespace: 'rampart-shop',
  imageRegistry: 'registry.example/rampart',
  imageTag: '0.1.0',
  digests: { 'rampart-gateway': `sha256:${'0'.repeat(64)}`, 'rampart-sidecar': `sha256:${'1'.repeat(64)}` },
  appDir: '/app/examples/shop',
  appImages: {
    reviews: `registry.example/shop-reviews:0.1.0@sha256:${'2'.repeat(64)}`,
    stock: `registry.example/shop-stock:0.1.0@sha256:${'3'.repeat(64)}`,
  },
};

export const SCALED_YAML = `version: 1
name: scaled
storage:
  sql:
    kind: postgres
    url: postgres://rampart_{service}:\${env:${componentEnv.sqlPassword.name}}@db.example:5433/rampart
  redis: { url: 'rediss://:\${env:REDIS_PASSWORD}@cache.example:6380' }
  nats: { url: 'tls://nats.example:4223' }
telemetry:
  traces: { endpoint: 'https://otel.example:4318/v1/traces', headers: { authorization: '\${env:OTLP_TOKEN}' } }
audit:
  alerts:
    webhook: { url: 'https://hooks.example/rampart', secret: '\${env:WEBHOOK_SECRET}' }
policies:
  read: { scopes: [a:read] }
services:
  front:
    entry: front/main.ts
    port: 7201
    callers: [gateway]
    routes: [{ method: GET, path: /front, policy: read }]
  middle:
    entry: middle/main.ts
    port: 7202
    callers: [front]
  back:
    entry: back/main.ts
    port: 7203
    callers: [middle, front, legacy]
  lonely:
    entry: lonely/main.ts
    port: 7204
  legacy:
    upstream: http://127.0.0.1:7305
    run: ./legacy-server
    image: registry.example/legacy:2.1.0@sha256:${'4'.repeat(64)}
    port: 7205
    callers: [front]
external:
  partner:
    url: https://partner.example:9443/api
    ca: partner-ca.pem
    routes: [{ method: GET, path: /partner/quotes, policy: read }]
`;

function parse(text: string, file: string): RampartConfig {
  const loaded = parseConfig(text, file);
  if (!loaded.ok) throw new Error(loaded.problems.map((problem) => problem.message).join('\n'));
  return loaded.config;
}

export function shopConfig(): { readonly config: RampartConfig; readonly text: string } {
  const text = readFileSync(shopFile, 'utf8');
  return { config: parse(text, shopFile), text };
}

export function shopExport(): K8sExport {
  const { config, text } = shopConfig();
  return exportK8s(config, text, SHOP_OPTIONS);
}

export function scaledConfig(): RampartConfig {
  return parse(SCALED_YAML, join(root, 'scaled.yaml'));
}

export function scaledExport(): K8sExport {
  return exportK8s(scaledConfig(), SCALED_YAML, {
    ...SHOP_OPTIONS,
    namespace: 'scaled',
    digests: {},
    appDir: '/app',
    appImages: {},
  });
}
