import { parseDuration } from '../duration.ts';
import type { RampartConfig } from '../schema.ts';

/** `identity.tokens` of rampart.yaml. */
export type TokenLifetimesConfig = NonNullable<NonNullable<RampartConfig['identity']>['tokens']>;

/** RFC 9068 access tokens are short-lived: Rampart keeps them between 5 and 15 minutes. */
export const ACCESS_TOKEN_TTL_RANGE = { min: 300, max: 900 } as const;
/** A rotated refresh token may be used again only within this (a response lost on a flaky network). */
export const MAX_REFRESH_REUSE_GRACE_SECONDS = 60;

/** The token lifetimes identity runs with, in seconds, defaults applied. */
export interface TokenLifetimes {
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenIdleTtlSeconds: number;
  readonly refreshTokenAbsoluteTtlSeconds: number;
  /** 0 = a rotated refresh token is never accepted again. */
  readonly refreshReuseGraceSeconds: number;
}

/** One rule of `identity.tokens` broken: the key it concerns, why, and how to fix it. */
export interface TokenLifetimeProblem {
  readonly key: keyof TokenLifetimesConfig;
  readonly message: string;
  readonly fix: string;
}

/**
 * The token lifetimes of `identity.tokens` with defaults applied (access 10m, refresh idle 1d,
 * absolute 14d, reuse grace 0), and every rule they break. The config check reports the problems
 * with their position; identity refuses to start on any of them. One function, so the two agree.
 *
 * @example
 * tokenLifetimes({ accessTokenTtl: '2h' }).problems[0]?.key; // 'accessTokenTtl'
 */
export function tokenLifetimes(tokens: TokenLifetimesConfig = {}): {
  lifetimes: TokenLifetimes;
  problems: TokenLifetimeProblem[];
} {
  const lifetimes: TokenLifetimes = {
    accessTokenTtlSeconds: seconds(tokens.accessTokenTtl ?? '10m'),
    refreshTokenIdleTtlSeconds: seconds(tokens.refreshTokenIdleTtl ?? '1d'),
    refreshTokenAbsoluteTtlSeconds: seconds(tokens.refreshTokenAbsoluteTtl ?? '14d'),
    refreshReuseGraceSeconds: tokens.refreshReuseGrace === undefined ? 0 : seconds(tokens.refreshReuseGrace),
  };
  const problems: TokenLifetimeProblem[] = [];
  const access = lifetimes.accessTokenTtlSeconds;
  if (access < ACCESS_TOKEN_TTL_RANGE.min || access > ACCESS_TOKEN_TTL_RANGE.max) {
    problems.push({
      key: 'accessTokenTtl',
      message: '`identity.tokens.accessTokenTtl` must be between 5m and 15m',
      fix: 'short-lived access tokens bound the damage of a stolen one: use e.g. 10m (the default), and refresh tokens for longer sessions',
    });
  }
  if (lifetimes.refreshTokenIdleTtlSeconds > lifetimes.refreshTokenAbsoluteTtlSeconds) {
    problems.push({
      key: tokens.refreshTokenIdleTtl === undefined ? 'refreshTokenAbsoluteTtl' : 'refreshTokenIdleTtl',
      message:
        '`identity.tokens.refreshTokenIdleTtl` must not exceed `refreshTokenAbsoluteTtl` (defaults 1d and 14d)',
      fix: 'shorten the idle lifetime or lengthen the absolute one',
    });
  }
  if (lifetimes.refreshReuseGraceSeconds > MAX_REFRESH_REUSE_GRACE_SECONDS) {
    problems.push({
      key: 'refreshReuseGrace',
      message: `\`identity.tokens.refreshReuseGrace\` is at most ${MAX_REFRESH_REUSE_GRACE_SECONDS}s`,
      fix: 'it only covers a response lost on a flaky network: use a few seconds, or leave it out (strict rotation)',
    });
  }
  return { lifetimes, problems };
}

function seconds(duration: string): number {
  return Math.floor(parseDuration(duration) / 1000);
}
