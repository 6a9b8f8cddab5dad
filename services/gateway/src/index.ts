/**
 * What the gateway offers outside itself. It runs as a component of `rampart up` (`main.ts`); this
 * entry point exists for embedding it in-process and for the checks that must read
 * `rampart.yaml` exactly as the gateway does (`test/e2e/check-agrees.test.ts`). Everything else —
 * the stages, the token verifier, the limiter, the caches — is the gateway's own, reached by its
 * tests through their modules (`src/<area>/index.ts`, each documented in the README).
 */
export { buildGateway, type Gateway, type GatewayOptions } from './app.ts';
export { gatewaySettings, type GatewaySettings } from './settings.ts';
export { buildRouteTable, type RouteTable, type MatchedRoute } from './routing/index.ts';
export { compileCorsPolicy, type CorsPolicy } from './cors/index.ts';
export { checkTrustedProxies } from './rate-limit/index.ts';
export { startWorkerPool, type WorkerPool, type WorkerPoolOptions } from './workers/index.ts';
