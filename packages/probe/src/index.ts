export { runProbe, CouldNotProbe, type ProbeOptions, type ProbeReport, type Skipped } from './run-probe.ts';
export { readCredentials, CredentialsError, type Credentials, type Credential } from './credentials.ts';
export { TargetUnreachable } from './target.ts';
export { PROBE_DOCS_URL, PROBE_MODULE, PROBE_RULES } from './rules.ts';
export {
  formatJson,
  formatSarif,
  formatText,
  probeExitCode,
  probeSarifTool,
  probeScanResult,
  type ProbeJsonReport,
} from './format-report.ts';
export { attackSurface, type AttackSurface, type SurfaceRoute } from './surface.ts';
