// The four proxies of bench/gateway-compare.ts and the token mixes they are measured with.
import type { LoadMode } from './wrk.ts';

export type ProxyName = 'gateway' | 'nginx' | 'haproxy';

export type TargetId =
  'gateway-plain' | 'gateway-full-mix' | 'gateway-full-fresh' | 'nginx' | 'haproxy-mix' | 'haproxy-fresh';

export interface Target {
  readonly id: TargetId;
  readonly label: string;
  readonly proxy: ProxyName;
  readonly mode: LoadMode;
  /** What the proxy checks before forwarding. */
  readonly checks: string;
}

export const TARGETS: Readonly<Record<TargetId, Target>> = {
  'gateway-plain': {
    id: 'gateway-plain',
    label: 'gateway, plain proxy',
    proxy: 'gateway',
    mode: 'plain',
    checks: 'public route: canonicalize, route, forward (internal token, mTLS), access log',
  },
  'gateway-full-mix': {
    id: 'gateway-full-mix',
    label: 'gateway, full pipeline',
    proxy: 'gateway',
    mode: 'mix',
    checks: 'at+jwt (ES256), rate limit, scopes + Cedar, forward (mTLS), access log',
  },
  'gateway-full-fresh': {
    id: 'gateway-full-fresh',
    label: 'gateway, full pipeline',
    proxy: 'gateway',
    mode: 'fresh',
    checks: 'as above',
  },
  nginx: {
    id: 'nginx',
    label: 'nginx, plain proxy',
    proxy: 'nginx',
    mode: 'plain',
    checks: 'none (TLS, proxy_pass over mTLS with a fixed internal token), access log',
  },
  'haproxy-mix': {
    id: 'haproxy-mix',
    label: 'HAProxy, JWT verification',
    proxy: 'haproxy',
    mode: 'mix',
    checks: 'jwt_verify ES256, alg/typ/iss/aud/exp rules, fixed internal token, mTLS, access log',
  },
  'haproxy-fresh': {
    id: 'haproxy-fresh',
    label: 'HAProxy, JWT verification',
    proxy: 'haproxy',
    mode: 'fresh',
    checks: 'as above',
  },
};

/**
 * Targets that reuse tokens or carry none, alternated within each round so that drift on a shared
 * machine hits them alike.
 */
export const REUSING: readonly TargetId[] = ['gateway-plain', 'gateway-full-mix', 'nginx', 'haproxy-mix'];

/**
 * Fresh-token targets run after every realistic-mix run: each fills the gateway's caches (verified
 * tokens, Cedar decisions, internal tokens) with users the mix never sends, evicting mix entries.
 * Each comes after its proxy's realistic runs, whose rate sizes its supply of tokens.
 */
export const FRESH: readonly TargetId[] = ['gateway-full-fresh', 'haproxy-fresh'];

/** Every target at peak, in the order of the report. */
export const PEAK_TARGETS: readonly TargetId[] = [...REUSING, ...FRESH];

/** At half of the plain gateway's peak: the latency a user sees when the proxy is not saturated. */
export const HALF_LOAD_TARGETS: readonly TargetId[] = [...REUSING, 'gateway-full-fresh'];

export const mixName = (mode: LoadMode): string =>
  mode === 'mix' ? 'realistic mix' : mode === 'fresh' ? 'fresh token per request' : 'no token';
