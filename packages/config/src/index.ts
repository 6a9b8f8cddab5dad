export type { ConfigProblem } from './problem.ts';
export type { LoadResult } from './parse-config.ts';
export { parseConfig } from './parse-config.ts';
export { loadConfig } from './load-config.ts';
export { formatProblem } from './format-problem.ts';
export { resolveSecret } from './resolve-secret.ts';
export { Secret } from './secret.ts';
export { parseDuration } from './duration.ts';
export { configDiff, type ConfigDiff } from './config-diff.ts';
export {
  RampartConfigSchema,
  jsonSchema,
  type RampartConfig,
  type ServiceConfig,
  type ExternalServiceConfig,
  type AuditConfig,
  type AlertWebhookConfig,
  type TraceExportConfig,
  type AdminWindowConfig,
  type RouteConfig,
  type PolicyConfig,
  type RateLimitConfig,
  type DefaultRateLimitConfig,
} from './schema.ts';
export { routeRateLimits, DEFAULT_ROUTE_RATE_LIMIT } from './rules/route-rate-limits.ts';
export {
  FIRST_ADMIN,
  generateAdminPassword,
  generateClientSecret,
  generateDemoUser,
  hashClientSecret,
  type BootstrapFile,
  type DemoUser,
} from './identity-launch.ts';
export {
  DEFAULT_PORTS,
  ADMIN_PORT_OFFSET,
  platformPorts,
  gatewayOrigin,
  platformIssuer,
  serviceAdminPort,
  EGRESS_PORT_OFFSET,
  sidecarEgressPort,
  replicaAdminPort,
  replicaAdminPorts,
  replicaCount,
  replicaName,
  REPLICA_ADMIN_PORT_STEP,
  type PlatformPorts,
  type ReplicatedComponent,
} from './ports.ts';
export { parseUpstream, type ParsedUpstream } from './upstream.ts';
export {
  IMAGE_REFERENCE_PATTERN,
  parseImageReference,
  type ParsedImageReference,
} from './image-reference.ts';
export {
  EXTERNAL_CA_RENEWED,
  externalCaFile,
  externalPath,
  externalServices,
  parseExternalUrl,
  type ParsedExternalUrl,
} from './external-upstream.ts';
export { listenHost, peerOrigin } from './peer-origin.ts';
export { hostProblem } from './host-names.ts';
export { trustDomainOf } from './trust-domain.ts';
export {
  KUBERNETES_COMPONENT_PREFIX,
  KUBERNETES_MESH_AUDIENCE,
  KUBERNETES_MESH_TOKEN_PATH,
  MESH_COMPONENTS,
  kubernetesMeshSettings,
  kubernetesServiceAccountOf,
  kubernetesWorkloads,
  type KubernetesMeshSettings,
  type KubernetesWorkload,
  type MeshComponent,
} from './kubernetes-workloads.ts';
export {
  COMPONENT_LABEL,
  INSTANCE_LABEL,
  NAME_LABEL,
  labelsOf,
  serviceResourceName,
  topologyOf,
  workloadUid,
  type DependencyName,
  type Edge,
  type Peer,
  type SidecarProcess,
  type Topology,
  type Workload,
} from './kubernetes-topology.ts';
export { identityEndpointLabel } from './identity-endpoints.ts';
export {
  tokenLifetimes,
  ACCESS_TOKEN_TTL_RANGE,
  MAX_REFRESH_REUSE_GRACE_SECONDS,
  type TokenLifetimes,
  type TokenLifetimeProblem,
} from './rules/token-lifetimes.ts';
export {
  clientRuleProblems,
  redirectUriProblem,
  RESERVED_ADMIN_SCOPE,
  type ClientRuleInput,
  type ClientRuleProblem,
} from './rules/client-rules.ts';
export {
  cedarWasm,
  cedarParseProblem,
  cedarRouteProblem,
  cedarRouteSchema,
  cedarMessages,
  CEDAR_PRINCIPAL_ATTRIBUTES,
  CEDAR_CONTEXT_ATTRIBUTES,
} from './rules/cedar-policy.ts';
export { parseTrustedProxy, type TrustedProxy } from './rules/trusted-proxy.ts';
export { issuerProblem } from './rules/issuer.ts';
export {
  CLIENT_SUBJECT_PREFIX,
  clientIdConflict,
  clientSubject,
  principalKindOf,
  type PrincipalKind,
} from './principal-subject.ts';
export {
  COMPONENT_KINDS,
  LOG_LEVELS,
  componentEnv,
  componentVariables,
  LOOPBACK_HOST,
  readComponentEnv,
  readLaunchSecretsMode,
  readSecretsDir,
  readLogLevel,
  writeComponentEnv,
  writeLaunchSecretEnv,
  type ComponentEnv,
  type ComponentEnvKey,
  type ComponentEnvValues,
  type ComponentKind,
  type ComponentVariable,
  type Environment,
  type LaunchSecretValues,
  type LogLevel,
  type Presence,
} from './component-env.ts';
export { deepFreeze } from './deep-freeze.ts';
