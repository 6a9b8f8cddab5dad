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
 * Order within a round: alternating proxies so drift on a shared machine hits all alike; each
 * fresh-token run comes after the same proxy's mix run, whose rate sizes its token supply.
 */
export const THROUGHPUT_ORDER: readonly TargetId[] = [
  'gateway-plain',
  'gateway-full-mix',
  'nginx',
  'haproxy-mix',
  'gateway-full-fresh',
  'haproxy-fresh',
];

/** At half of the plain gateway's peak: the latency a user sees when the proxy is not saturated. */
export const HALF_LOAD_ORDER: readonly TargetId[] = [
  'gateway-plain',
  'gateway-full-mix',
  'nginx',
  'haproxy-mix',
  'gateway-full-fresh',
];

export const mixName = (mode: LoadMode): string =>
  mode === 'mix' ? 'realistic mix' : mode === 'fresh' ? 'fresh token per request' : 'no token';
