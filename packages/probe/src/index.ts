export { runProbe, CouldNotProbe, type ProbeOptions, type ProbeReport } from './run-probe.ts';
export { readCredentials, CredentialsError, type Credentials, type Credential } from './credentials.ts';
export { TargetUnreachable } from './target.ts';
export { PROBE_RULES, probeRule, type ProbeRule } from './rules.ts';
export { SEVERITIES, atLeast, type Finding, type Severity, type Evidence, type Skipped } from './finding.ts';
export { formatText, formatJson } from './format-report.ts';
export { attackSurface, type AttackSurface, type SurfaceRoute } from './surface.ts';
