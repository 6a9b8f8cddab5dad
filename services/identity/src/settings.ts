import { parseDuration, platformPorts, trustDomainOf, type RampartConfig } from '@rampart/config';

type ClientConfig = NonNullable<NonNullable<RampartConfig['identity']>['clients']>[number];

/** What the identity service takes from rampart.yaml, defaults applied and ranges checked. */
export interface IdentitySettings {
  readonly trustDomain: string;
  /** `https://127.0.0.1:<gateway>/auth` unless `identity.issuer` says otherwise; no trailing slash. */
  readonly issuer: string;
  /** The path the issuer is mounted at (`/auth`). */
  readonly mountPath: string;
  /** The audience of access tokens (RFC 8707): the gateway's public origin. */
  readonly apiAudience: string;
  /** mTLS port the gateway forwards `/auth` to. */
  readonly port: number;
  /** Plain-HTTP loopback port for /healthz, /readyz and /metrics. */
  readonly adminPort: number;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenIdleTtlSeconds: number;
  readonly refreshTokenAbsoluteTtlSeconds: number;
  /** Seconds a rotated refresh token may still be used once (flaky networks); 0 = strict. */
  readonly refreshReuseGraceSeconds: number;
  readonly mfaMethods: readonly ('totp' | 'passkey')[];
  readonly mfaRequiredGroups: readonly string[];
  readonly clients: readonly ClientConfig[];
  readonly demo: boolean;
}

/** RFC 9068 access tokens are short-lived: Rampart keeps them between 5 and 15 minutes. */
export const ACCESS_TOKEN_TTL_RANGE = { min: 300, max: 900 } as const;
const MAX_REUSE_GRACE_SECONDS = 60;

/**
 * @example
 * const { issuer, accessTokenTtlSeconds } = identitySettings(config); // 'https://127.0.0.1:8443/auth', 600
 */
export function identitySettings(config: RampartConfig): IdentitySettings {
  const ports = platformPorts(config);
  const origin = `https://127.0.0.1:${ports.gateway}`;
  const identity = config.identity ?? {};
  const issuer = (identity.issuer ?? `${origin}/auth`).replace(/\/+$/, '');
  const tokens = identity.tokens ?? {};
  const accessTokenTtlSeconds = seconds(tokens.accessTokenTtl ?? '10m');
  if (
    accessTokenTtlSeconds < ACCESS_TOKEN_TTL_RANGE.min ||
    accessTokenTtlSeconds > ACCESS_TOKEN_TTL_RANGE.max
  ) {
    throw new TypeError(
      `identity.tokens.accessTokenTtl must be between 5m and 15m (got ${tokens.accessTokenTtl ?? ''}): ` +
        'short-lived access tokens bound the damage of a stolen one; use refresh tokens for longer sessions',
    );
  }
  const refreshTokenIdleTtlSeconds = seconds(tokens.refreshTokenIdleTtl ?? '1d');
  const refreshTokenAbsoluteTtlSeconds = seconds(tokens.refreshTokenAbsoluteTtl ?? '14d');
  if (refreshTokenIdleTtlSeconds > refreshTokenAbsoluteTtlSeconds) {
    throw new TypeError('identity.tokens.refreshTokenIdleTtl must not exceed refreshTokenAbsoluteTtl');
  }
  const refreshReuseGraceSeconds =
    tokens.refreshReuseGrace === undefined ? 0 : seconds(tokens.refreshReuseGrace);
  if (refreshReuseGraceSeconds > MAX_REUSE_GRACE_SECONDS) {
    throw new TypeError(
      `identity.tokens.refreshReuseGrace is at most ${MAX_REUSE_GRACE_SECONDS}s: it only covers a response lost on a flaky network`,
    );
  }
  return {
    trustDomain: trustDomainOf(config),
    issuer,
    mountPath: new URL(issuer).pathname.replace(/\/+$/, ''),
    apiAudience: origin,
    port: ports.identity,
    adminPort: ports.identityAdmin,
    accessTokenTtlSeconds,
    refreshTokenIdleTtlSeconds,
    refreshTokenAbsoluteTtlSeconds,
    refreshReuseGraceSeconds,
    mfaMethods: identity.mfa?.methods ?? ['totp', 'passkey'],
    mfaRequiredGroups: identity.mfa?.requireForGroups ?? [],
    clients: identity.clients ?? [],
    demo: config.demo === true,
  };
}

function seconds(duration: string): number {
  return Math.floor(parseDuration(duration) / 1000);
}
