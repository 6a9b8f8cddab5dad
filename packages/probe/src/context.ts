import type { JSONWebKeySet } from 'jose';
import type { Evidence, FindingInput } from '@rampart/scan';
import type { Credential, Credentials } from './credentials.ts';
import { curlOf, evidenceOf, redact, redactKnown } from './evidence.ts';
import { routeName, type AttackSurface, type SurfaceRoute } from './surface.ts';
import type { Bearer, Exchange, ProbeRequest, Target } from './target.ts';

/** A check the probe did not run, and why (no credential for it, a write without --allow-writes…). */
export interface Skipped {
  readonly check: string;
  readonly reason: string;
}

/** What every check gets: the target, the surface, the credentials, and where to put results. */
export interface ProbeContext {
  readonly target: Target;
  readonly surface: AttackSurface;
  readonly credentials: Credentials;
  readonly allowWrites: boolean;
  /** `--cacert <file>`, `-k` or nothing: what reproductions pass to curl. */
  readonly curlTls: string;
  /** The issuer's public key set, when the probe could read it (from the target's origin). */
  readonly jwks: JSONWebKeySet | undefined;
  /** What the checks showed, as `@rampart/scan` finding inputs (rules of PROBE_RULES). */
  readonly findings: FindingInput[];
  readonly skipped: Skipped[];
  /** Every answer the probe received, for the checks that read them all (error leaks). */
  readonly exchanges: Exchange[];
  /** Paths of user A's objects the run found or made (`/orders/7`), for the cache check. */
  readonly objectsOfA: { route: SurfaceRoute; path: string }[];
  /** Objects the probe created, for cleanup. */
  readonly created: { route: SurfaceRoute; path: string }[];
  progress(message: string): void;
}

/** A credential as a request's bearer. */
export function bearerOf(credential: Credential): Bearer {
  return { token: credential.token, variable: credential.variable };
}

/** Every credential, for redaction. */
export function secretsOf(ctx: ProbeContext): { token: string; variable: string }[] {
  const { userA, userB, client } = ctx.credentials;
  return [userA, userB, ...(client === undefined ? [] : [client])];
}

/** Sends `req` through the target and keeps the answer for the checks that read every answer. */
export async function send(ctx: ProbeContext, req: ProbeRequest): Promise<Exchange> {
  const exchange = await ctx.target.send(req);
  ctx.exchanges.push(exchange);
  return exchange;
}

/**
 * Records a finding of `ruleId` (a `probe/…` rule) shown by `exchange`. Its key — the framework's
 * fingerprint — is method, route template and `variant` (which tells apart findings of one rule on
 * one route: `alg-none`, `%2e%2e`), never a token, a created object's id or a time, so a baseline
 * holds across runs; the first finding of a key is kept.
 */
export function report(
  ctx: ProbeContext,
  ruleId: string,
  exchange: Exchange,
  details: {
    route?: Pick<SurfaceRoute, 'method' | 'path'>;
    variant?: string;
    message: string;
    /** For checks below HTTP (raw sockets, TLS): what was sent and seen, and how to redo it. */
    evidence?: Evidence;
    reproduction?: string;
  },
): void {
  const bearer = exchange.request.bearer;
  // A token signed with the issuer key is a working credential: redacted like the users' own.
  const secrets = [...secretsOf(ctx), ...(bearer?.setup?.startsWith('#') === true ? [bearer] : [])];
  const route = details.route === undefined ? '' : routeName(details.route);
  // A finding about the target as a whole (headers, TLS) is one per rule and variant, whatever the method.
  const method = details.route === undefined ? '' : exchange.request.method;
  const key = `${method}\u0000${route}\u0000${details.variant ?? ''}`;
  if (ctx.findings.some((f) => f.ruleId === ruleId && f.key === key)) return;
  ctx.findings.push({
    ruleId,
    location: {
      url: `${ctx.target.url.origin}${exchange.request.path}`,
      method: exchange.request.method,
      ...(details.route === undefined ? {} : { route }),
    },
    key,
    message: redact(details.message, secrets),
    evidence: details.evidence ?? evidenceOf(exchange, secrets),
    reproduction:
      details.reproduction ??
      redactKnown(curlOf(ctx.target.url.origin, exchange.request, ctx.curlTls), secrets),
  });
}

export function skip(ctx: ProbeContext, check: string, reason: string): void {
  ctx.skipped.push({ check, reason });
}

/** A path of `route` with its parameters filled (each value percent-encoded). */
export function fillPath(
  route: Pick<SurfaceRoute, 'path'>,
  values: Readonly<Record<string, string>> = {},
): string {
  return route.path.replace(/\{([a-zA-Z][a-zA-Z0-9]*)\}/g, (_, name: string) =>
    encodeURIComponent(values[name] ?? 'rampart-probe'),
  );
}
