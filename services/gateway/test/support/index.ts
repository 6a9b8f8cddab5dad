// `@rampart/gateway/testing`: what tests and benchmarks outside the gateway use to run a real
// gateway in-process. The gateway's own tests import these modules by relative path. Generic
// helpers (`yamlHead`, raw HTTP/2 frames, `reusePortListener`) live in `@rampart/testing`; this
// entry point holds only what knows the gateway.

/** A real gateway (buildGateway) on loopback, with mTLS echo services and a fake identity. */
export {
  startGatewayFixture,
  serviceId,
  type GatewayFixture,
  type FixturePorts,
  type FixtureOptions,
  type CallOptions,
  type Reply,
} from '../app/gateway-fixture.ts';
/** The gateway's worker threads (`startWorkerPool`) with a mesh CA, an echo `orders` and an issuer. */
export {
  setUp,
  once,
  requestsServed,
  waitFor,
  TRUST_DOMAIN,
  type Ports,
  type Setup,
} from '../workers/pool-fixture.ts';
/** RFC 9068 access tokens signed by a test key the fixtures' JWKS publishes. */
export { makeKey, mint, b64url, type TestKey, type MintOptions } from '../auth/helpers.ts';

// Internals, for the benchmarks that measure them — not the service's API (that is
// `@rampart/gateway`).
export {
  authorize,
  compileCedarPolicySet,
  type AccessPrincipal,
  type CedarCheck,
} from '../../src/authorization/index.ts';
