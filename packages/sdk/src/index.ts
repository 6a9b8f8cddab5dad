export {
  createService,
  runService,
  ServiceStartError,
  type CreateServiceOptions,
  type StartOptions,
  type Service,
  type ConfigListener,
} from './service.ts';
export type { Environment } from '@rampart/config';
export { listenersOn, ownSocketInodes, socketInodesOf, type PortListener } from './port-listeners.ts';
export {
  receiveLaunchSecrets,
  requiredJoinToken,
  LAUNCH_SECRETS_REQUEST,
  LAUNCH_SECRETS_REPLY,
  type LaunchSecrets,
  type LaunchChannel,
  type ReceiveLaunchSecretsOptions,
} from './launch-secrets.ts';
export { meshJoinEvidence } from './join-evidence.ts';
export { readSecretsDirectory, type ProcessIds } from './secrets-dir.ts';
export {
  configRefusalReason,
  createConfigMessageHandler,
  isConfigMessage,
  type ConfigMessage,
  type ConfigReply,
  type ConfigTarget,
} from './config-ipc.ts';
export type {
  RouteDefinition,
  PublicRouteDefinition,
  AuthenticatedRequest,
  RouteSchema,
  JsonSchema,
  HttpMethod,
} from './route.ts';
export {
  addPublicRoute,
  addRoute,
  bearerToken,
  buildHttpApp,
  DEFAULT_BODY_LIMIT_BYTES,
  type HttpAppOptions,
  type HttpLimits,
  type MeshTls,
} from './http-app.ts';
export {
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENCY_KEY_TTL_MS,
  IDEMPOTENCY_LEASE_MS,
  IDEMPOTENCY_TABLE,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  formatIdempotencyKey,
  parseIdempotencyKey,
} from './idempotency/index.ts';
export { requireScopes, requireUser, type Principal, type PrincipalKind } from './principal.ts';
export type { InjectAs } from './in-process-peer.ts';
export {
  createInternalTokenVerifier,
  type InternalTokenVerifier,
  type InternalTokenVerifierOptions,
} from './internal-token.ts';
// The internal-token policy lives in @rampart/tokens; a service author needs only the SDK.
export {
  importInternalTokenKey,
  INTERNAL_TOKEN_ISSUER,
  MAX_TOKEN_LIFETIME_SECONDS,
  MAX_TOKEN_LENGTH,
  CLOCK_SKEW_SECONDS,
} from '@rampart/tokens';
export {
  createLogger,
  maskText,
  maskValue,
  Masker,
  REDACTED,
  type Logger,
  type CreateLoggerOptions,
} from './log/index.ts';
export {
  FieldCipher,
  BlindIndex,
  LocalKeyring,
  FIELD_FORMAT,
  type FieldContext,
  type IndexContext,
  type KeyProvider,
  type WrappedKey,
} from './crypto/index.ts';
export * from './store/index.ts';
export * from './observability/index.ts';
export {
  createMeshEndpoint,
  TokenKeyError,
  type MeshEndpoint,
  type MeshEndpointOptions,
} from './mesh-endpoint.ts';
export { declaredRoutes, type DeclaredRoutes, type ResolvedRoute } from './declared-routes.ts';
export { callerOf, requireAllowedPeer, type CallerName } from './caller.ts';
export { ServiceClients, type ForwardOptions, type CallOptions, type CallResult } from './service-client.ts';
export { meshAgent, type MeshAgentLimits, type MeshCredentials } from './mesh-agent.ts';
export { isLuhnValid } from './card-number.ts';
export { illFormedStringPointer } from './well-formed-unicode.ts';
export type { FieldError } from './problem-reply.ts';
export { stopOnSignals, SHUTDOWN_TIMEOUT_MS } from './process-lifecycle.ts';
export {
  bootComponent,
  ConfigurationInvalidError,
  prepareComponent,
  type PreparedComponent,
  type PrepareOptions,
  type BootAdmin,
  type BootContext,
  type BootKind,
  type BootOptions,
  type RunningComponent,
  type WorkloadOf,
} from './boot.ts';
export {
  adminRequestHandler,
  closeServer,
  createAdminServer,
  listenOn,
  readinessOf,
  storeCheck,
  type AdminServerOptions,
  type ComponentHealth,
  type ReadinessCheck,
} from './admin-server.ts';
