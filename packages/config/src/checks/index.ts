import type { Finding } from '../problem.ts';
import type { RampartConfig } from '../schema.ts';
import { checkAuditSettings } from './audit-settings.ts';
import { checkCedarPolicy } from './cedar-policy.ts';
import { checkCertificateTtl } from './certificate-ttl.ts';
import { checkClientRules } from './client-rules.ts';
import { checkExternalServices } from './external-service.ts';
import { checkGatewaySettings } from './gateway-settings.ts';
import { checkIdentityTokens } from './identity-tokens.ts';
import { checkIssuer } from './issuer.ts';
import { checkNatsTransport } from './nats-transport.ts';
import { checkPortConflict } from './port-conflict.ts';
import { checkPublicUrl } from './public-url.ts';
import { checkPublicWriteRoute } from './public-write-route.ts';
import { checkRateLimitOff } from './rate-limit-off.ts';
import { checkReservedPath } from './reserved-path.ts';
import { checkReplicas } from './replicas.ts';
import { checkReservedServiceName } from './reserved-service-name.ts';
import { checkServiceKind } from './service-kind.ts';
import { checkRouteNoPolicy } from './route-no-policy.ts';
import { checkRouteOverlap } from './route-overlap.ts';
import { checkUndeclaredCaller } from './undeclared-caller.ts';
import { checkTelemetrySettings } from './telemetry-settings.ts';
import { checkUngrantableScope } from './ungrantable-scope.ts';
import { checkUnknownPolicy } from './unknown-policy.ts';
import { checkUnknownSensitiveField } from './unknown-sensitive-field.ts';
import { checkUnreachableRoute } from './unreachable-route.ts';

export { checkInlineSecret } from './inline-secret.ts';

/**
 * The semantic checks that run on a schema-valid config, each with its own error code. Every rule a
 * component applies to its configuration at start or reload is here (through the shared modules of
 * `src/rules/`), so what passes `rampart check` starts and reloads everywhere.
 */
export const semanticChecks: readonly ((config: RampartConfig) => Finding[])[] = [
  checkRouteNoPolicy, // CFG_ROUTE_NO_POLICY
  checkUnknownPolicy, // CFG_UNKNOWN_POLICY
  checkUndeclaredCaller, // CFG_UNDECLARED_CALLER
  checkRouteOverlap, // CFG_DUPLICATE_ROUTE, CFG_AMBIGUOUS_ROUTE
  checkReservedPath, // CFG_RESERVED_PATH
  checkReservedServiceName, // CFG_RESERVED_NAME
  checkUnreachableRoute, // CFG_UNREACHABLE_ROUTE
  checkServiceKind, // CFG_SERVICE_KIND, CFG_UPSTREAM_NOT_LOOPBACK
  checkExternalServices, // CFG_EXTERNAL_URL, CFG_EXTERNAL_IN_MESH
  checkPortConflict, // CFG_PORT_CONFLICT
  checkReplicas, // CFG_REPLICAS_NEED_SQL, CFG_REPLICAS_NEED_REDIS
  checkUnknownSensitiveField, // CFG_UNKNOWN_SENSITIVE_FIELD (warning)
  checkCertificateTtl, // CFG_INVALID_VALUE (mesh.certificateTtl out of range)
  checkGatewaySettings, // CFG_INVALID_VALUE (gateway: cors "*" with credentials, trustedProxies, identityRateLimit), CFG_TRUSTS_ANY_PROXY (warning)
  checkIdentityTokens, // CFG_INVALID_VALUE (identity.tokens lifetimes)
  checkIssuer, // CFG_INVALID_VALUE (identity.issuer), CFG_HTTP_ISSUER (warning)
  checkPublicUrl, // CFG_PUBLIC_URL (gateway.publicUrl)
  checkClientRules, // CFG_INVALID_CLIENT, CFG_RESERVED_SCOPE (warning)
  checkCedarPolicy, // CFG_INVALID_CEDAR
  checkPublicWriteRoute, // CFG_PUBLIC_WRITE_ROUTE (warning)
  checkUngrantableScope, // CFG_UNGRANTABLE_SCOPE (warning)
  checkRateLimitOff, // CFG_RATE_LIMIT_OFF (warning)
  checkAuditSettings, // CFG_INVALID_VALUE (audit.adminWindow)
  checkNatsTransport, // CFG_INVALID_VALUE (storage.nats.url), CFG_NATS_UNAUTHENTICATED (an error, or a warning under dangerouslyAllowUnauthenticated)
  checkTelemetrySettings, // CFG_INVALID_VALUE (telemetry.traces: endpoint scheme, reserved headers)
];
