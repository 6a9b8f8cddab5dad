import { bearerOf, fillPath, report, send, skip, type ProbeContext } from '../context.ts';
import { idsIn, mayCall } from './object-authorization.ts';
import { invalidSamples } from '../schema-sample.ts';
import { isUnsafe, type JsonSchema, type SurfaceRoute } from '../surface.ts';
import { served } from '../target.ts';

/** Path parameter values that make careless handlers throw (the answers are read for leaks). */
const AWKWARD = ['\'"<>', '%00', '-1', 'A'.repeat(1500), '%252e%252e', '{}'];

/** A value `schema` (a `params` property) refuses, or undefined when every string would do. */
function invalidParam(schema: JsonSchema | undefined): string | undefined {
  if (schema === undefined) return undefined;
  if (schema['format'] === 'uuid' || schema['format'] === 'email' || schema['format'] === 'date-time')
    return 'rampart-probe-not-valid';
  if (typeof schema['pattern'] === 'string') {
    const candidate = '!!rampart-probe!!';
    return new RegExp(schema['pattern'], 'u').test(candidate) ? undefined : candidate;
  }
  if (schema['type'] === 'integer' || schema['type'] === 'number') return 'rampart-probe';
  return undefined;
}

/**
 * Input: awkward path parameters on every protected GET route with parameters (the error answers
 * go to the leak check), values a `params` schema refuses (must not be served), and — with
 * --allow-writes — bodies the route's body schema refuses and a malformed JSON body (4xx expected).
 */
export async function checkInput(ctx: ProbeContext): Promise<void> {
  ctx.progress('input: awkward parameters, schemas, malformed bodies');
  const userA = bearerOf(ctx.credentials.userA);
  for (const route of ctx.surface.routes) {
    if (route.params.length === 0 || !mayCall(ctx.credentials.userA, route)) continue;
    if (route.method === 'GET') {
      for (const value of AWKWARD)
        await send(ctx, {
          method: 'GET',
          path: route.path.replace(
            /\{[a-zA-Z][a-zA-Z0-9]*\}/g,
            value.startsWith('%') ? value : encodeURIComponent(value),
          ),
          bearer: userA,
        });
    }
    if (isUnsafe(route.method) && !ctx.allowWrites) continue;
    const properties = (route.paramsSchema?.['properties'] ?? {}) as Record<string, JsonSchema>;
    for (const param of route.params) {
      const bad = invalidParam(properties[param]);
      if (bad === undefined) continue;
      const path = fillPath(route, { [param]: bad });
      const answer = await send(ctx, {
        method: route.method,
        path,
        bearer: userA,
        ...(isUnsafe(route.method) ? { body: '{}' } : {}),
      });
      if (served(answer))
        report(ctx, 'probe/schema-not-enforced', answer, {
          route,
          variant: `param-${param}`,
          message: `${route.method} ${path} was served (${answer.status}) though "${bad}" breaks the schema of {${param}}.`,
        });
    }
  }
  if (!ctx.allowWrites) {
    skip(ctx, 'body schemas', 'bodies are sent on unsafe methods only (run with --allow-writes)');
    return;
  }
  for (const route of ctx.surface.routes) {
    if (!isUnsafe(route.method) || route.body === undefined || !mayCall(ctx.credentials.userA, route))
      continue;
    await sendInvalidBodies(ctx, route, route.body);
  }
}

async function sendInvalidBodies(ctx: ProbeContext, route: SurfaceRoute, schema: JsonSchema): Promise<void> {
  const path = fillPath(route);
  const bodies = [...invalidSamples(schema), { what: 'malformed JSON', body: '{"rampartProbe": ' }];
  for (const { what, body } of bodies) {
    const answer = await send(ctx, {
      method: route.method,
      path,
      bearer: bearerOf(ctx.credentials.userA),
      body,
    });
    if (!served(answer)) continue;
    report(ctx, 'probe/schema-not-enforced', answer, {
      route,
      variant: what,
      message: `${route.method} ${path} was served (${answer.status}) with a body that breaks its schema: ${what}.`,
    });
    const id = idsIn(answer.body, 'id', 1)[0];
    if (id !== undefined) ctx.created.push({ route, path: `${path}/${encodeURIComponent(id)}` });
  }
}
