import type { JSONWebKeySet } from 'jose';
import type { RampartConfig } from '@rampart/config';
import { applyBaseline, resolveFindings, SEVERITIES, type Baseline, type Finding } from '@rampart/scan';
import { checkAuthentication, type Reference } from './checks/authentication.ts';
import { checkCache } from './checks/cache.ts';
import { checkCors } from './checks/cors.ts';
import { checkIdentityHeaders } from './checks/header-spoofing.ts';
import { checkInput } from './checks/input.ts';
import { checkObjectAuthorization, mayCall } from './checks/object-authorization.ts';
import { checkPassive } from './checks/passive.ts';
import { checkPathTricks } from './checks/path-tricks.ts';
import { checkRateLimits } from './checks/rate-limit.ts';
import { checkMethods, checkScopes } from './checks/scope-method.ts';
import { checkSmuggling } from './checks/smuggling.ts';
import { checkTls } from './checks/tls.ts';
import { bearerOf, fillPath, send, skip, type ProbeContext, type Skipped } from './context.ts';
import type { Credentials } from './credentials.ts';
import { PROBE_MODULE } from './rules.ts';
import { attackSurface } from './surface.ts';
import { BudgetExhausted, served, Target, TargetUnreachable } from './target.ts';

export interface ProbeOptions {
  readonly target: URL;
  readonly config: RampartConfig;
  readonly credentials: Credentials;
  readonly allowWrites?: boolean;
  /** Requests per second at most (default 40). */
  readonly rate?: number;
  /** Requests in the whole run at most (default 2000). */
  readonly maxRequests?: number;
  /** PEM trust anchors, and the file they came from (shown in reproductions as `--cacert`). */
  readonly ca?: { readonly pem: string; readonly file: string };
  readonly insecureSkipVerify?: boolean;
  readonly progress?: (message: string) => void;
  /** Findings accepted earlier (`--baseline`): reported as suppressed, with their reason. */
  readonly baseline?: { readonly file: string; readonly baseline: Baseline };
}

export interface ProbeReport {
  readonly target: string;
  readonly durationMs: number;
  readonly requests: number;
  /** Worst first; those the baseline accepts carry their `suppression`. */
  readonly findings: readonly Finding[];
  readonly skipped: readonly Skipped[];
  readonly allowWrites: boolean;
}

/** The credentials or the target keep the probe from testing anything that matters: exit 2. */
export class CouldNotProbe extends Error {
  override readonly name = 'CouldNotProbe';
}

/**
 * Probes the gateway at `target` with the attack surface `config` declares and two users'
 * tokens, and returns what it found. Talks to `target`'s origin only, at most `rate` requests a
 * second and `maxRequests` in all; sends POST/PUT/PATCH/DELETE only with `allowWrites`.
 *
 * @throws TargetUnreachable when the target does not answer; CouldNotProbe when user A's token
 *   opens no route (expired, wrong issuer) — never a clean report for a probe that could not look.
 * @example
 * const report = await runProbe({ target: new URL('https://127.0.0.1:8443'), config, credentials, ca });
 * report.findings.filter((f) => f.severity === 'critical');
 */
export async function runProbe(options: ProbeOptions): Promise<ProbeReport> {
  const started = Date.now();
  const target = new Target(options.target, {
    rate: options.rate ?? 40,
    maxRequests: options.maxRequests ?? 2000,
    ...(options.ca === undefined ? {} : { ca: options.ca.pem }),
    ...(options.insecureSkipVerify === true ? { insecureSkipVerify: true } : {}),
  });
  const surface = attackSurface(options.config, options.target);
  const progress = options.progress ?? (() => undefined);
  try {
    const root = await target.send({ method: 'GET', path: '/' });
    const ctx: ProbeContext = {
      target,
      surface,
      credentials: options.credentials,
      allowWrites: options.allowWrites === true,
      curlTls:
        options.ca !== undefined
          ? `--cacert ${options.ca.file}`
          : options.insecureSkipVerify === true
            ? '-k'
            : '',
      jwks: await readJwks(target, surface.issuer),
      findings: [],
      skipped: [],
      exchanges: [root],
      objectsOfA: [],
      created: [],
      progress,
    };
    if (ctx.jwks === undefined)
      skip(ctx, 'issuer key set', `no JWKS could be read from ${surface.issuer} on the target's origin`);
    const reference = await findReference(ctx);
    const checks: [string, () => Promise<void>][] = [
      ['tokens', () => checkAuthentication(ctx, reference)],
      ['identity headers', () => checkIdentityHeaders(ctx, reference)],
      ['scopes', () => checkScopes(ctx)],
      ['methods', () => checkMethods(ctx)],
      ['object-level authorization', () => checkObjectAuthorization(ctx)],
      ['paths', () => checkPathTricks(ctx)],
      ['CORS', () => checkCors(ctx, reference)],
      ['input', () => checkInput(ctx)],
      ['cache keys', () => checkCache(ctx)],
      ['request smuggling', () => checkSmuggling(ctx)],
      ['TLS', () => checkTls(ctx)],
      ['rate limits', () => checkRateLimits(ctx)],
    ];
    for (const [name, check] of checks) {
      try {
        await check();
      } catch (error) {
        if (!(error instanceof BudgetExhausted)) throw error;
        skip(ctx, name, error.message);
      }
    }
    checkPassive(ctx, ctx.exchanges);
    await cleanUp(ctx);
    const resolved = resolveFindings(PROBE_MODULE, ctx.findings);
    const findings = (
      options.baseline === undefined ? resolved : applyBaseline(resolved, options.baseline)
    ).sort(
      (a, b) =>
        SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || a.ruleId.localeCompare(b.ruleId),
    );
    return {
      target: options.target.origin,
      durationMs: Date.now() - started,
      requests: target.sent,
      findings,
      skipped: ctx.skipped,
      allowWrites: ctx.allowWrites,
    };
  } finally {
    target.close();
  }
}

/** The issuer's JWKS through discovery, read only when the issuer is on the target's origin. */
async function readJwks(target: Target, issuer: string): Promise<JSONWebKeySet | undefined> {
  const issuerUrl = new URL(issuer);
  if (issuerUrl.origin !== target.url.origin) return undefined;
  const json = async (path: string): Promise<Record<string, unknown> | undefined> => {
    const answer = await target.send({ method: 'GET', path });
    if (!served(answer)) return undefined;
    try {
      return JSON.parse(answer.body) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  };
  const base = issuerUrl.pathname.replace(/\/$/, '');
  const discovery = await json(`${base}/.well-known/openid-configuration`);
  const jwksUri = typeof discovery?.['jwks_uri'] === 'string' ? new URL(discovery['jwks_uri']) : undefined;
  const jwks = await json(jwksUri?.origin === target.url.origin ? jwksUri.pathname : `${base}/jwks`);
  return Array.isArray(jwks?.['keys']) ? (jwks as unknown as JSONWebKeySet) : undefined;
}

/**
 * A protected GET route without parameters that user A's token opens: where forgeries must fail.
 * When A's token opens none of them and is refused as a token (401), the probe cannot run.
 */
async function findReference(ctx: ProbeContext): Promise<Reference | undefined> {
  // Routes A's scopes cover first; the others still tell a refused token (401) from a missing scope (403).
  const candidates = ctx.surface.routes
    .filter((r) => r.method === 'GET' && !r.public && !r.conditional && r.params.length === 0)
    .sort((a, b) => Number(mayCall(ctx.credentials.userA, b)) - Number(mayCall(ctx.credentials.userA, a)));
  let refused = 0;
  for (const route of candidates) {
    const path = fillPath(route);
    const answer = await send(ctx, { method: 'GET', path, bearer: bearerOf(ctx.credentials.userA) });
    if (served(answer) && mayCall(ctx.credentials.userA, route)) return { route, path };
    if (answer.status === 401) refused += 1;
  }
  if (candidates.length > 0 && refused === candidates.length)
    throw new CouldNotProbe(
      `user A's token was refused (401) on every route it should open (${candidates.map((r) => r.path).join(', ')}): expired, or from another issuer?`,
    );
  return undefined;
}

/** Deletes what the probe created where a DELETE route allows; names what it had to leave. */
async function cleanUp(ctx: ProbeContext): Promise<void> {
  for (const { route, path } of ctx.created) {
    const remove = ctx.surface.routes.find((r) => r.method === 'DELETE' && r.path === route.path);
    if (remove === undefined) {
      skip(ctx, 'clean-up', `left ${path}: rampart.yaml declares no DELETE ${route.path}`);
      continue;
    }
    try {
      await ctx.target.send({ method: 'DELETE', path, bearer: bearerOf(ctx.credentials.userA) });
    } catch (error) {
      if (!(error instanceof BudgetExhausted) && !(error instanceof TargetUnreachable)) throw error;
      skip(ctx, 'clean-up', `could not delete ${path}: ${error.message}`);
    }
  }
}

export type { Credentials, Skipped };
