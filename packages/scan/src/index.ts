export { SEVERITIES, SECURITY_SEVERITY, isSeverity, atLeast, type Severity } from './severity.ts';
export { SCAN_DOCS_URL, helpUri, ruleAnchor, ruleRegistry, securitySeverity, type Rule } from './rule.ts';
export {
  isFileLocation,
  type Evidence,
  type FileLocation,
  type Finding,
  type FindingInput,
  type Location,
  type ScanFailure,
  type Suppression,
  type UrlLocation,
} from './finding.ts';
export { findingFingerprint, normalizeSnippet } from './fingerprint.ts';
export { resolveFindings } from './resolve-findings.ts';
export type { ModuleReport, ScanContext, ScanFile, ScanModule } from './scan-module.ts';
export { discoverFiles, IGNORE_FILE, IGNORED_DIRECTORIES } from './discover-files.ts';
export { inlineIgnoreFor, type InlineIgnore } from './inline-suppressions.ts';
export {
  applyBaseline,
  BaselineError,
  defaultBaselineReason,
  readBaseline,
  writeBaseline,
  type Baseline,
  type BaselineEntry,
} from './baseline.ts';
export { FRAMEWORK_RULES, SUPPRESSION_WITHOUT_REASON } from './framework-rules.ts';
export { runScan, type ModuleOutcome, type ScanOptions, type ScanResult } from './run-scan.ts';
export { allFindings, exitCode, failingFindings } from './exit-code.ts';
export { textReport, type TextReportOptions } from './report/text-report.ts';
export { jsonReport, type JsonReport } from './report/json-report.ts';
export {
  sarifReport,
  FINGERPRINT_KEY,
  SARIF_TOOL_NAME,
  SCAN_SARIF_TOOL,
  type SarifLog,
  type SarifTool,
} from './report/sarif-report.ts';
export { dockerfileModule, checkDockerfile, isDockerfile } from './dockerfile/dockerfile-module.ts';
export { DOCKERFILE_RULES } from './dockerfile/dockerfile-rules.ts';
export {
  kubernetesModule,
  CROSS_OBJECT_CHECKS,
  type CrossObjectCheck,
} from './kubernetes/kubernetes-module.ts';
export { KUBERNETES_RULES } from './kubernetes/kubernetes-rules.ts';
export { parseManifests, type Manifest } from './kubernetes/manifests.ts';
export {
  checkPodRestricted,
  RESTRICTED_CONTROLS,
  type PodSecurityLevel,
  type PodSecurityViolation,
  type RestrictedControl,
} from './kubernetes/pod-security.ts';
export { configModule, checkConfigFile, isRampartConfig } from './config/config-module.ts';
export { CONFIG_RULES } from './config/config-rules.ts';
export {
  createSecretsModule,
  secretsModule,
  isConfigFile,
  isEnvFile,
  isTestPath,
  MAX_FILE_BYTES,
  type GitHistoryOptions,
  type SecretsModuleOptions,
} from './secrets/secrets-module.ts';
export { SECRETS_RULES } from './secrets/secrets-rules.ts';
export { findSecrets, type FindSecretsOptions, type SecretMatch } from './secrets/find-secrets.ts';
export { isPlaceholder } from './secrets/placeholders.ts';
export { redactSecret, secretKey } from './secrets/redact.ts';
export { shannonEntropy } from './secrets/entropy.ts';
export { isSecretName, jwtAlgorithm } from './secrets/structural-patterns.ts';
export { addedLines, isSafeRevision } from './secrets/git.ts';
export {
  createDepsModule,
  depsModule,
  isDependencyFile,
  redactCredentials,
  type DepsOptions,
} from './deps/deps-module.ts';
export { DEPS_RULES } from './deps/deps-rules.ts';
export {
  AdvisorySourceError,
  affectedBy,
  fixedVersionOf,
  type Advisory,
  type AdvisoryQuery,
  type AdvisorySource,
  type AffectedRange,
} from './deps/advisories.ts';
export {
  BULK_ADVISORY_PATH,
  NPM_REGISTRY,
  REGISTRY_TIMEOUT_MS,
  readBulkAnswer,
  registryAdvisories,
  type RegistryAdvisoryOptions,
} from './deps/registry-advisories.ts';
export { OSV_NPM_EXPORT, osvAdvisories, readOsvEntry } from './deps/osv-advisories.ts';
export {
  entryPosition,
  LockfileError,
  parseLockfile,
  resolveDependency,
  type DependencySource,
  type LockedPackage,
  type Lockfile,
} from './deps/lockfile.ts';
export { dependencyPaths } from './deps/dependency-paths.ts';
export { codeModule, isCodeFile, lintCode } from './code/code-module.ts';
export type { LintedFile, LintMessage } from './code/lint-files.ts';
export { CODE_RULES } from './code/code-rules.ts';
export { SCAN_MODULES, moduleById } from './modules.ts';
export { rulesReference, RULES_END, RULES_START } from './rules-reference.ts';
