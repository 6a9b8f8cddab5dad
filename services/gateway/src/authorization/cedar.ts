import { createHash } from 'node:crypto';
import type * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { LRUCache } from 'lru-cache';
import {
  CEDAR_CONTEXT_ATTRIBUTES,
  CEDAR_PRINCIPAL_ATTRIBUTES,
  cedarMessages,
  cedarParseProblem,
  cedarRouteProblem,
  cedarWasm,
} from '@rampart/config';
import type { AccessPrincipal } from './authorize.ts';

/** What a Cedar policy is asked about, besides the principal. */
export interface CedarRequest {
  /** `Action::"<METHOD>"`. */
  readonly method: string;
  /** The route template: `Route::"/orders/{id}"`. */
  readonly template: string;
  /** The service owning the route: `resource.service`. */
  readonly service: string;
  /** Path parameters, decoded: `resource.<name>`. */
  readonly params: Readonly<Record<string, string>>;
  /** The client IP: `context.ip`, an `ipaddr` (`context.ip.isInRange(ip("10.0.0.0/8"))`). */
  readonly ip: string;
  /** Whether the token shows a second factor: `context.mfa`. */
  readonly mfa: boolean;
}

/** The outcome of a Cedar evaluation; `detail` is for the audit trail only. */
export interface CedarDecision {
  readonly allowed: boolean;
  readonly detail: string;
}

/** A policy set parsed once (at config load), ready to be evaluated per request. */
export interface CedarPolicySet {
  /** The policy's name under `policies` in rampart.yaml. */
  readonly name: string;
  /**
   * Checks the set strictly against the entity model of one route (its parameters as
   * `resource` attributes), so a typo (`resource.orderId` on `/orders/{id}`) or a type error is a
   * load error, not a request that is always denied.
   *
   * @throws TypeError naming the policy, the route and Cedar's message.
   */
  checkRoute(route: { readonly label: string; readonly paramNames: readonly string[] }): void;
  /** Default deny: allowed only when a permit applies, no forbid does and nothing errored. */
  evaluate(principal: AccessPrincipal, request: CedarRequest): CedarDecision;
}

const PRINCIPAL_ATTRIBUTES = CEDAR_PRINCIPAL_ATTRIBUTES;
const CONTEXT_ATTRIBUTES = CEDAR_CONTEXT_ATTRIBUTES;
/** Decisions kept per policy set (least recently used evicted first). */
const DECISION_CACHE_ENTRIES = 4096;

type PrincipalAttribute = (typeof PRINCIPAL_ATTRIBUTES)[number];
type ContextAttribute = (typeof CONTEXT_ATTRIBUTES)[number];

/**
 * Parses a Cedar policy set (an inline `cedar:` policy) once, and caches it in cedar-wasm's
 * preparsed store under an id derived from its text, so every request evaluates the parsed set.
 *
 * The request a policy sees: principal `User::"<sub>"` with `sub` (and `id`, the same), `scopes`,
 * `groups` and `amr` (sets of strings) and `clientId`; action `Action::"<METHOD>"`; resource `Route::"<template>"` with
 * the path parameters (strings) and `service`; context `{ ip: ipaddr, mfa: Bool }`.
 *
 * Parsing and route validation are @rampart/config's (`cedarParseProblem`, `cedarRouteProblem`):
 * the same functions `rampart check` runs, so the gateway refuses nothing the check accepted.
 *
 * @throws TypeError naming the policy when the text does not parse.
 * @example
 * const owner = compileCedarPolicySet('owner', 'permit(principal, action, resource) when { resource.userId == principal.sub };');
 * owner.checkRoute({ label: 'GET /users/{userId}', paramNames: ['userId'] });
 * owner.evaluate(principal, { method: 'GET', template: '/users/{userId}', service: 'users', params, ip, mfa });
 */
export function compileCedarPolicySet(name: string, text: string): CedarPolicySet {
  const unparsable = cedarParseProblem(text);
  if (unparsable !== undefined) {
    throw new TypeError(`policy "${name}": its cedar policy set does not parse: ${unparsable}`);
  }
  const wasm = cedarWasm();
  const id = `rampart:${createHash('sha256').update(text).digest('base64url')}`;
  const parsed = wasm.preparsePolicySet(id, { staticPolicies: text });
  if (parsed.type === 'failure') {
    throw new TypeError(
      `policy "${name}": its cedar policy set does not parse: ${cedarMessages(parsed.errors)}`,
    );
  }
  // Only the attributes a policy names are sent to Cedar: converting each value into the Wasm
  // module is most of an evaluation's cost. A name absent from the text (comments included) can
  // be neither read nor tested with `has`, since Cedar has no computed attribute names.
  const mentions = (attribute: string): boolean => new RegExp(`\\b${attribute}\\b`, 'u').test(text);
  const principalAttributes = PRINCIPAL_ATTRIBUTES.filter(mentions);
  const contextAttributes = CONTEXT_ATTRIBUTES.filter(mentions);
  const sendsService = mentions('service');
  const paramsSent = new Map<string, readonly string[]>();
  const decisions = new LRUCache<string, CedarDecision>({ max: DECISION_CACHE_ENTRIES });

  function paramsFor(template: string, params: Readonly<Record<string, string>>): readonly string[] {
    let names = paramsSent.get(template);
    if (names === undefined) {
      names = Object.keys(params).filter(mentions);
      paramsSent.set(template, names);
    }
    return names;
  }

  function decide(
    principal: AccessPrincipal,
    request: CedarRequest,
    paramNames: readonly string[],
  ): CedarDecision {
    const principalAttrs: Record<string, cedar.CedarValueJson> = {};
    for (const attribute of principalAttributes)
      principalAttrs[attribute] = principalValue(principal, attribute);
    const resourceAttrs: Record<string, cedar.CedarValueJson> = {};
    for (const param of paramNames) resourceAttrs[param] = request.params[param] ?? '';
    if (sendsService) resourceAttrs['service'] = request.service;
    const context: Record<string, cedar.CedarValueJson> = {};
    for (const attribute of contextAttributes) context[attribute] = contextValue(request, attribute);
    const principalUid = { type: 'User', id: principal.subject };
    const resourceUid = { type: 'Route', id: request.template };
    const answer = wasm.statefulIsAuthorized({
      principal: principalUid,
      action: { type: 'Action', id: request.method },
      resource: resourceUid,
      context,
      preparsedPolicySetId: id,
      entities: [
        { uid: principalUid, attrs: principalAttrs, parents: [] },
        { uid: resourceUid, attrs: resourceAttrs, parents: [] },
      ],
    });
    if (answer.type === 'failure') {
      return { allowed: false, detail: `cedar policy "${name}" failed: ${cedarMessages(answer.errors)}` };
    }
    const { decision, diagnostics } = answer.response;
    // Fail closed: an erroring forbid would otherwise simply not apply.
    if (diagnostics.errors.length > 0) {
      const failed = diagnostics.errors.map((e) => e.policyId).join(', ');
      return { allowed: false, detail: `cedar policy "${name}": evaluation error in ${failed}` };
    }
    if (decision === 'allow')
      return { allowed: true, detail: `permitted by ${diagnostics.reason.join(', ')}` };
    return {
      allowed: false,
      detail:
        diagnostics.reason.length === 0
          ? `cedar policy "${name}": no permit applies`
          : `cedar policy "${name}": forbidden by ${diagnostics.reason.join(', ')}`,
    };
  }

  const policySet: CedarPolicySet = {
    name,
    checkRoute(route) {
      const problem = cedarRouteProblem(text, route.paramNames);
      if (problem !== undefined) throw new TypeError(`policy "${name}" on route ${route.label}: ${problem}`);
    },
    evaluate(principal, request) {
      const paramNames = paramsFor(request.template, request.params);
      // Evaluation is a pure function of what is sent: identical inputs share one decision.
      const key = JSON.stringify([
        request.method,
        request.template,
        principal.subject,
        principalAttributes.map((a) => principalValue(principal, a)),
        paramNames.map((p) => request.params[p] ?? ''),
        sendsService ? request.service : null,
        contextAttributes.map((a) => contextValue(request, a)),
      ]);
      const cached = decisions.get(key);
      if (cached !== undefined) return cached;
      let decision: CedarDecision;
      try {
        decision = decide(principal, request, paramNames);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        return { allowed: false, detail: `cedar policy "${name}" threw: ${reason}` };
      }
      decisions.set(key, decision);
      return decision;
    },
  };
  return Object.freeze(policySet);
}

function principalValue(principal: AccessPrincipal, attribute: PrincipalAttribute): cedar.CedarValueJson {
  switch (attribute) {
    case 'sub':
    case 'id':
      return principal.subject;
    case 'clientId':
      return principal.clientId;
    case 'scopes':
      return [...principal.scopes];
    case 'groups':
      return [...principal.groups];
    case 'amr':
      return [...principal.amr];
  }
}

function contextValue(request: CedarRequest, attribute: ContextAttribute): cedar.CedarValueJson {
  switch (attribute) {
    case 'ip':
      return { __extn: { fn: 'ip', arg: request.ip } };
    case 'mfa':
      return request.mfa;
  }
}
