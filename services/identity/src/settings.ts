import {
  clientRuleProblems,
  gatewayOrigin,
  platformIssuer,
  platformPorts,
  tokenLifetimes,
  trustDomainOf,
  type RampartConfig,
} from '@rampart/config';

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

/**
 * Identity's settings. The rules are @rampart/config's (`tokenLifetimes`, `clientRuleProblems`),
 * the very functions `rampart check` runs, so a configuration the check accepted never stops
 * identity here; one that bypassed the check is refused rather than half applied.
 *
 * @throws TypeError naming the key and the rule, for a lifetime or a client rule broken.
 * @example
 * const { issuer, accessTokenTtlSeconds } = identitySettings(config); // 'https://127.0.0.1:8443/auth', 600
 */
export function identitySettings(config: RampartConfig): IdentitySettings {
  const ports = platformPorts(config);
  const origin = gatewayOrigin(config);
  const identity = config.identity ?? {};
  const issuer = platformIssuer(config);
  const { lifetimes, problems } = tokenLifetimes(identity.tokens);
  const refused = problems[0];
  if (refused !== undefined) throw new TypeError(`${refused.message}: ${refused.fix}`);
  for (const client of identity.clients ?? []) {
    const broken = clientRuleProblems(client).find((problem) => problem.severity === 'error');
    if (broken !== undefined) {
      throw new TypeError(`client ${client.id}: ${broken.field} ${broken.message}: ${broken.fix}`);
    }
  }
  return {
    trustDomain: trustDomainOf(config),
    issuer,
    mountPath: new URL(issuer).pathname.replace(/\/+$/, ''),
    apiAudience: origin,
    port: ports.identity,
    adminPort: ports.identityAdmin,
    ...lifetimes,
    mfaMethods: identity.mfa?.methods ?? ['totp', 'passkey'],
    mfaRequiredGroups: identity.mfa?.requireForGroups ?? [],
    clients: identity.clients ?? [],
    demo: config.demo === true,
  };
}
