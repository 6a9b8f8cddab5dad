import type { RateLimitConfig } from '@rampart/config';
import type { ConsoleSite } from '@rampart/console';
import type { InternalTokenMinter } from '@rampart/tokens';
import type {
  AccessTokenVerifier,
  IntrospectionClient,
  ProofReplayCache,
  RevocableToken,
} from '../auth/index.ts';
import type { CacheCounter, ResponseCache } from '../cache/index.ts';
import type { CorsPolicy } from '../cors/index.ts';
import type { ExternalUpstreams, Upstreams } from '../forward/index.ts';
import type { RateLimiter } from '../rate-limit/index.ts';
import type { RouteTable } from '../routing/index.ts';
import type { Exchange } from './exchange.ts';

/** The `/auth` mount: where identity, the OAuth 2.0 / OpenID Connect issuer, is served. */
export interface IdentityMount {
  /** Identity's port on 127.0.0.1, for recognising its own address in a `Location`. */
  readonly port: number;
  /** Sent as `X-Forwarded-Host`: identity builds its absolute URLs from it. */
  readonly publicHost: string;
  /** The per-IP limit on the mount (`gateway.identityRateLimit`). */
  readonly rateLimit: RateLimitConfig;
}

/** What the stages work with; rebuilt as a whole when rampart.yaml changes. */
export interface PipelineDeps {
  readonly routes: RouteTable;
  /** `gateway.cors`, compiled. */
  readonly cors: CorsPolicy;
  readonly identity: IdentityMount;
  /** The web console (`/console/`), in memory: its files and headers. */
  readonly console: ConsoleSite;
  /** The gateway's public origin (`https://127.0.0.1:<ports.gateway>`): what DPoP `htu` must name. */
  readonly publicOrigin: string;
  readonly verifier: AccessTokenVerifier;
  /**
   * Identity's introspection of opaque access tokens, when the gateway follows Rampart's own
   * identity; without it an opaque token goes to the JWT verifier and is refused.
   */
  readonly introspection?: IntrospectionClient;
  /** Identity's revocation feed: revoked grants and subjects, learnt within about a second. */
  readonly revocations: { isRevoked(token: RevocableToken): boolean };
  /** DPoP proof ids already used (RFC 9449 §11.1), per gateway process. */
  readonly dpopReplay: ProofReplayCache;
  readonly limiter: RateLimiter;
  readonly minter: InternalTokenMinter;
  readonly upstreams: Upstreams;
  /** The HTTPS upstreams outside the mesh (`external`), over TLS pinned to each one's CA. */
  readonly external: ExternalUpstreams;
  /** Answers of routes with `cache`; cleared when rampart.yaml changes. */
  readonly cache: ResponseCache;
  readonly cacheCounter: CacheCounter;
}

/** One stage: enriches the exchange, answers it (`exchange.answered`), or throws a refusal. */
export type Stage = (exchange: Exchange, deps: PipelineDeps) => Promise<void> | void;
