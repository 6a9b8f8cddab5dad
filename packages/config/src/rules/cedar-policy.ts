import { createRequire } from 'node:module';
import type * as Cedar from '@cedar-policy/cedar-wasm/nodejs';

type CedarWasm = typeof Cedar;
type SchemaJson = Cedar.SchemaJson<string>;
type TypeOfAttribute = Cedar.TypeOfAttribute<string>;

/**
 * What a Cedar policy of rampart.yaml is evaluated against, declared once for the config check and
 * the gateway: principal `User` with these attributes, action `Action::"<METHOD>"`, resource
 * `Route` with `service` and the route's path parameters (strings), context `{ ip, mfa }`.
 */
export const CEDAR_PRINCIPAL_ATTRIBUTES = ['sub', 'id', 'scopes', 'groups', 'amr', 'clientId'] as const;
export const CEDAR_CONTEXT_ATTRIBUTES = ['ip', 'mfa'] as const;
export const CEDAR_ACTIONS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

const STRING = { type: 'String' } as const;
const STRING_SET = { type: 'Set', element: STRING } as const;

let loaded: CedarWasm | undefined;

/**
 * cedar-wasm, loaded on first use: a configuration without Cedar policies never pays for the
 * Wasm module (it is CommonJS, so it loads synchronously, as the checks run).
 */
export function cedarWasm(): CedarWasm {
  loaded ??= createRequire(import.meta.url)('@cedar-policy/cedar-wasm/nodejs') as CedarWasm;
  return loaded;
}

/**
 * Why a Cedar policy set does not parse, or undefined when it does.
 *
 * @example
 * cedarParseProblem('permit(principal, action, resource)'); // 'unexpected end of input …'
 */
export function cedarParseProblem(text: string): string | undefined {
  const answer = cedarWasm().checkParsePolicySet({ staticPolicies: text });
  return answer.type === 'failure' ? cedarMessages(answer.errors) : undefined;
}

/**
 * Why a Cedar policy set cannot guard a route with these path parameters, or undefined: it must
 * validate strictly against the route's entity model (so `resource.orderId` on `/orders/{id}`, or a
 * type error, is refused at load rather than denying every request), and the route must not have
 * a `{service}` parameter (it would hide `resource.service`). Call it on a set that parses.
 *
 * @example
 * cedarRouteProblem('permit(principal, action, resource) when { resource.userId == principal.sub };', ['id']);
 * // 'its cedar policy set does not validate: …'
 */
export function cedarRouteProblem(text: string, paramNames: readonly string[]): string | undefined {
  if (paramNames.includes('service')) {
    return 'its path parameter {service} would hide resource.service from the cedar policy: rename it';
  }
  const answer = cedarWasm().validate({
    schema: cedarRouteSchema(paramNames),
    policies: { staticPolicies: text },
    validationSettings: { mode: 'strict' },
  });
  const problems = answer.type === 'failure' ? answer.errors : answer.validationErrors.map((e) => e.error);
  return problems.length === 0
    ? undefined
    : `its cedar policy set does not validate: ${cedarMessages(problems)}`;
}

/** The entity model of one route, in Cedar's JSON schema format. */
export function cedarRouteSchema(paramNames: readonly string[]): SchemaJson {
  const routeAttributes: Record<string, TypeOfAttribute> = { service: STRING };
  for (const param of paramNames) routeAttributes[param] = STRING;
  return {
    '': {
      entityTypes: {
        User: {
          shape: {
            type: 'Record',
            attributes: {
              sub: STRING,
              id: STRING,
              scopes: STRING_SET,
              groups: STRING_SET,
              amr: STRING_SET,
              clientId: STRING,
            },
          },
        },
        Route: { shape: { type: 'Record', attributes: routeAttributes } },
      },
      actions: Object.fromEntries(
        CEDAR_ACTIONS.map((method) => [
          method,
          {
            appliesTo: {
              principalTypes: ['User'],
              resourceTypes: ['Route'],
              context: {
                type: 'Record',
                attributes: { ip: { type: 'Extension', name: 'ipaddr' }, mfa: { type: 'Boolean' } },
              },
            },
          },
        ]),
      ),
    },
  };
}

/** Cedar's messages on one line, each with its help. */
export function cedarMessages(
  errors: readonly { readonly message: string; readonly help?: string | null }[],
): string {
  return errors
    .map((e) => (e.help === null || e.help === undefined ? e.message : `${e.message} (${e.help})`))
    .join('; ');
}
