import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isFileLocation, type Evidence, type Finding, type Location } from '../finding.ts';
import { FRAMEWORK_RULES } from '../framework-rules.ts';
import { helpUri, securitySeverity, SCAN_DOCS_URL, type Rule } from '../rule.ts';
import type { ModuleOutcome, ScanResult } from '../run-scan.ts';
import type { Severity } from '../severity.ts';

/** The name every run's driver carries; each module is told apart by its `automationDetails.id`. */
export const SARIF_TOOL_NAME = 'rampart scan';
export const SARIF_TOOL_VERSION = '0.1.0';
/** The key of our fingerprint in `partialFingerprints` (versioned: a new scheme gets a new key). */
export const FINGERPRINT_KEY = 'rampartFindingHash/v1';
const SRCROOT = 'SRCROOT';

/** Who writes the log: `rampart scan` by default; `rampart probe` passes its own. */
export interface SarifTool {
  readonly name: string;
  readonly informationUri: string;
  /** The `automationDetails.id` of a module's run (GitHub's category: one alert set per id). */
  automationId(module: ModuleOutcome): string;
}

export const SCAN_SARIF_TOOL: SarifTool = {
  name: SARIF_TOOL_NAME,
  informationUri: SCAN_DOCS_URL,
  automationId: (module) => `rampart-scan/${module.id}/`,
};

type SarifLevel = 'error' | 'warning' | 'note';
const LEVEL: Readonly<Record<Severity, SarifLevel>> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

/** The parts of SARIF 2.1.0 we write (OASIS standard; validated in tests against its schema). */
export interface SarifLog {
  readonly $schema: string;
  readonly version: '2.1.0';
  readonly runs: readonly SarifRun[];
}
interface SarifRun {
  readonly tool: { readonly driver: Record<string, unknown> & { readonly rules: readonly SarifRule[] } };
  readonly automationDetails: { readonly id: string };
  readonly originalUriBaseIds?: Record<string, { readonly uri: string }>;
  readonly results: readonly Record<string, unknown>[];
  readonly invocations: readonly Record<string, unknown>[];
  readonly columnKind: 'utf16CodeUnits';
}
interface SarifRule {
  readonly id: string;
  readonly name: string;
  readonly shortDescription: { readonly text: string };
  readonly fullDescription: { readonly text: string };
  readonly help: { readonly text: string; readonly markdown: string };
  readonly helpUri: string;
  readonly defaultConfiguration: { readonly level: SarifLevel };
  readonly properties: {
    readonly 'security-severity': string;
    readonly tags: readonly string[];
    readonly precision: 'high';
    readonly 'problem.severity': 'error' | 'warning' | 'recommendation';
  };
}

/**
 * `--format sarif`: one run per module (GitHub code scanning tells them apart by
 * `automationDetails.id`, `rampart-scan/<module>/`), every rule of the module with its `helpUri`
 * and `security-severity`, each result with our fingerprint in `partialFingerprints`, and
 * suppressed results carrying their `suppressions` and justification rather than left out. A
 * finding on a running system keeps its evidence and reproduction in `properties`, and shows the
 * command in `message.markdown`.
 */
export function sarifReport(result: ScanResult, tool: SarifTool = SCAN_SARIF_TOOL): SarifLog {
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: result.modules.map((module) => sarifRun(result.root, module, tool)),
  };
}

function sarifRun(root: string, module: ModuleOutcome, tool: SarifTool): SarifRun {
  const used = new Set(module.findings.map((f) => f.ruleId));
  const rules = [
    ...module.rules.values(),
    ...[...FRAMEWORK_RULES.values()].filter((rule) => used.has(rule.id)),
  ];
  const index = new Map(rules.map((rule, i) => [rule.id, i]));
  return {
    tool: {
      driver: {
        name: tool.name,
        fullName: `${tool.name}: ${module.name}`,
        version: SARIF_TOOL_VERSION,
        semanticVersion: SARIF_TOOL_VERSION,
        informationUri: tool.informationUri,
        rules: rules.map(sarifRule),
      },
    },
    automationDetails: { id: tool.automationId(module) },
    // Files are relative to the scanned directory; a probed system's results are URLs.
    ...(isAbsolute(root)
      ? { originalUriBaseIds: { [SRCROOT]: { uri: pathToFileURL(`${root}/`).href } } }
      : {}),
    results: module.findings.map((finding) => sarifResult(finding, index.get(finding.ruleId) ?? -1)),
    invocations: [
      {
        executionSuccessful: module.failures.length === 0,
        toolExecutionNotifications: module.failures.map((failure) => ({
          level: 'error',
          message: {
            text: failure.file === undefined ? failure.message : `${failure.file}: ${failure.message}`,
          },
          ...(failure.file === undefined
            ? {}
            : { locations: [{ physicalLocation: { artifactLocation: artifact(failure.file) } }] }),
        })),
      },
    ],
    columnKind: 'utf16CodeUnits',
  };
}

function sarifRule(rule: Rule): SarifRule {
  const cwes = rule.cwe ?? [];
  return {
    id: rule.id,
    name: rule.name,
    shortDescription: { text: rule.short },
    fullDescription: { text: rule.why },
    help: {
      text: `${rule.why}\n\nFix: ${rule.fix}`,
      markdown: `${rule.why}\n\n**Fix:** ${rule.fix}\n\n[Documentation](${helpUri(rule)})`,
    },
    helpUri: helpUri(rule),
    defaultConfiguration: { level: LEVEL[rule.severity] },
    properties: {
      'security-severity': securitySeverity(rule).toFixed(1),
      tags: ['security', ...cwes.map((n) => `external/cwe/cwe-${n}`)],
      precision: 'high',
      'problem.severity':
        rule.severity === 'low' || rule.severity === 'info'
          ? 'recommendation'
          : LEVEL[rule.severity] === 'error'
            ? 'error'
            : 'warning',
    },
  };
}

function sarifResult(finding: Finding, ruleIndex: number): Record<string, unknown> {
  const text = `${finding.message.replace(/\.$/u, '')}. Fix: ${finding.fix}`;
  const location = finding.location;
  return {
    ruleId: finding.ruleId,
    ...(ruleIndex >= 0 ? { ruleIndex } : {}),
    level: LEVEL[finding.severity],
    message:
      finding.reproduction === undefined
        ? { text }
        : { text, markdown: `${text}\n\nReproduce:\n\n\`\`\`sh\n${finding.reproduction}\n\`\`\`` },
    locations: [sarifLocation(location, finding.evidence)],
    partialFingerprints: { [FINGERPRINT_KEY]: finding.fingerprint },
    properties: {
      severity: finding.severity,
      ...(isFileLocation(location) || location.method === undefined ? {} : { method: location.method }),
      ...(isFileLocation(location) || location.route === undefined ? {} : { route: location.route }),
      ...(finding.evidence === undefined ? {} : { evidence: finding.evidence }),
      ...(finding.reproduction === undefined ? {} : { reproduction: finding.reproduction }),
    },
    ...(finding.suppression === undefined
      ? {}
      : {
          suppressions: [
            {
              kind: finding.suppression.kind === 'inline' ? 'inSource' : 'external',
              status: 'accepted',
              justification: finding.suppression.justification,
            },
          ],
        }),
  };
}

function sarifLocation(location: Location, evidence: Evidence | undefined): Record<string, unknown> {
  if (!isFileLocation(location)) {
    // The answer at the URL is the artifact; as DAST tools do (ZAP), the region is the answer's
    // excerpt from its status line, given as the snippet.
    const region =
      evidence === undefined
        ? {}
        : {
            region: {
              startLine: 1,
              endLine: evidence.response.split('\n').length,
              snippet: { text: evidence.response },
            },
          };
    return { physicalLocation: { artifactLocation: { uri: location.url }, ...region } };
  }
  const region =
    location.line > 0
      ? {
          region: {
            startLine: location.line,
            ...(location.column > 0 ? { startColumn: location.column } : {}),
          },
        }
      : {};
  return { physicalLocation: { artifactLocation: artifact(location.file), ...region } };
}

/** A path relative to the scan root, percent-encoded as a URI reference, against SRCROOT. */
function artifact(file: string): { uri: string; uriBaseId?: string } {
  if (file.startsWith('/')) return { uri: pathToFileURL(file).href };
  return { uri: file.split('/').map(encodeURIComponent).join('/'), uriBaseId: SRCROOT };
}
