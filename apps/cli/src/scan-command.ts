import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  BaselineError,
  exitCode,
  isSeverity,
  jsonReport,
  moduleById,
  readBaseline,
  runScan,
  sarifReport,
  SCAN_MODULES,
  SEVERITIES,
  textReport,
  writeBaseline,
  allFindings,
  createSecretsModule,
  isSafeRevision,
  createDepsModule,
  osvAdvisories,
  registryAdvisories,
  type Baseline,
  type ScanModule,
  type Severity,
} from '@rampart/scan';
import type { CommandIo } from './check-command.ts';
import { paint } from './terminal.ts';

const usage = `Usage: rampart scan [dir] [options]

Scan a tree (default: .) for security problems: Dockerfiles, Kubernetes manifests, rampart.yaml,
secrets and npm dependencies (known advisories).
Every rule, with why it matters and how to fix it, is in docs/scan.md.

Options:
  --module m[,m…]        modules to run: ${SCAN_MODULES.map((m) => m.id).join(', ')} (default: all)
  --format f             text (default), json or sarif (SARIF 2.1.0, one run per module)
  --output file          write the report to file instead of standard output
  --fail-on severity     exit 1 on an unsuppressed finding at or above it: ${SEVERITIES.join(', ')} (default: high)
  --baseline file        findings whose fingerprint is in file (with a reason) are suppressed
  --write-baseline file  write every unsuppressed finding to file (reasons of --baseline kept)
  --exclude path         skip a path of the tree (repeatable; also .rampartscanignore at its root)
  --git-history          secrets: also scan the lines every commit added (git log -p)
  --since rev            with --git-history: only the commits after rev (rev..HEAD)
  --offline-advisories p check dependencies against an OSV export (a directory of OSV JSON files, or
                         one file) instead of the npm registry's bulk advisory endpoint
  --advisory-registry u  the registry to ask (default https://registry.npmjs.org)
  --prod-only            only the dependencies \`npm ci --omit=dev\` installs
  -h, --help             show this help

Suppress one finding inline with a comment on its line or the line before:
  # rampart-ignore <rule-id> <reason>       (YAML, Dockerfile)      // rampart-ignore <rule-id> <reason>

Exit status: 0 nothing at or above --fail-on, 1 findings, 2 the scan could not look at something
(an unreadable or unparsable file, an unreachable advisory source, a bad option): never "clean"
when it could not look.
`;

interface ScanArgs {
  readonly root: string;
  readonly modules: readonly ScanModule[];
  readonly format: 'text' | 'json' | 'sarif';
  readonly output: string | undefined;
  readonly failOn: Severity;
  readonly baseline: string | undefined;
  readonly writeBaseline: string | undefined;
  readonly exclude: readonly string[];
}

/**
 * `rampart scan [dir] [--module …] [--format text|json|sarif] [--output f] [--fail-on sev]
 * [--baseline f] [--write-baseline f]`. `argv` is what follows `scan`.
 *
 * @example
 * process.exitCode = await scanCommand(['.', '--format', 'sarif', '--output', 'rampart.sarif'], io);
 */
export async function scanCommand(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseScanArgs(argv);
  if (parsed === 'help') {
    io.stdout.write(usage);
    return 0;
  }
  if ('error' in parsed) {
    io.stderr.write(`rampart scan: ${parsed.error}\n\n${usage}`);
    return 2;
  }
  let baseline: Baseline | undefined;
  try {
    if (parsed.baseline !== undefined) baseline = await readBaseline(parsed.baseline);
  } catch (error) {
    io.stderr.write(`rampart scan: ${error instanceof BaselineError ? error.message : String(error)}\n`);
    return 2;
  }
  let result;
  try {
    result = await runScan({
      root: parsed.root,
      modules: parsed.modules,
      exclude: parsed.exclude,
      ...(baseline === undefined || parsed.baseline === undefined
        ? {}
        : { baseline: { file: parsed.baseline, baseline } }),
    });
  } catch (error) {
    io.stderr.write(
      `rampart scan: cannot scan ${parsed.root}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 2;
  }
  const report =
    parsed.format === 'json'
      ? `${JSON.stringify(jsonReport(result, parsed.failOn), null, 2)}\n`
      : parsed.format === 'sarif'
        ? `${JSON.stringify(sarifReport(result), null, 2)}\n`
        : textReport(result, parsed.failOn, parsed.output === undefined ? paint(io.color) : paint(false));
  try {
    if (parsed.output === undefined) io.stdout.write(report);
    else await writeFile(parsed.output, report);
    if (parsed.writeBaseline !== undefined) {
      const written = await writeBaseline(parsed.writeBaseline, allFindings(result), baseline);
      io.stderr.write(`rampart scan: wrote ${written.findings.length} findings to ${parsed.writeBaseline}\n`);
    }
  } catch (error) {
    io.stderr.write(
      `rampart scan: cannot write: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 2;
  }
  return exitCode(result, parsed.failOn);
}

/** The options, `'help'`, or what is wrong with them (`{ error }`). */
function parseScanArgs(argv: string[]): ScanArgs | 'help' | { error: string } {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: {
        module: { type: 'string' },
        format: { type: 'string' },
        output: { type: 'string', short: 'o' },
        'fail-on': { type: 'string' },
        baseline: { type: 'string' },
        'write-baseline': { type: 'string' },
        exclude: { type: 'string', multiple: true },
        'git-history': { type: 'boolean' },
        since: { type: 'string' },
        'offline-advisories': { type: 'string' },
        'advisory-registry': { type: 'string' },
        'prod-only': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
  if (values.help === true) return 'help';
  if (positionals.length > 1) return { error: `expected at most one directory, got ${positionals.length}` };
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json' && format !== 'sarif') {
    return { error: `--format must be text, json or sarif, not '${format}'` };
  }
  const failOn = values['fail-on'] ?? 'high';
  if (!isSeverity(failOn))
    return { error: `--fail-on must be one of ${SEVERITIES.join(', ')}, not '${failOn}'` };
  const modules: ScanModule[] = [];
  for (const id of (values.module ?? SCAN_MODULES.map((m) => m.id).join(',')).split(',')) {
    const module = moduleById(id.trim());
    if (module === undefined)
      return { error: `unknown module '${id}' (modules: ${SCAN_MODULES.map((m) => m.id).join(', ')})` };
    if (!modules.includes(module)) modules.push(module);
  }
  if (values['offline-advisories'] !== undefined && values['advisory-registry'] !== undefined)
    return { error: '--offline-advisories and --advisory-registry exclude each other' };
  const registry = values['advisory-registry'];
  if (registry !== undefined && !/^https?:\/\/[^\s]+$/u.test(registry))
    return { error: `--advisory-registry must be an http(s) URL, not '${registry}'` };
  const deps = createDepsModule({
    advisories:
      values['offline-advisories'] === undefined
        ? registryAdvisories(registry === undefined ? {} : { registry })
        : osvAdvisories(values['offline-advisories']),
    prodOnly: values['prod-only'] === true,
  });
  const history = gitHistoryModule(
    values['git-history'] === true,
    values.since,
    values.exclude ?? [],
    modules,
  );
  if (typeof history === 'object' && 'error' in history) return history;
  return {
    root: positionals[0] ?? '.',
    modules: modules.map((m) =>
      m.id === 'secrets' && history !== undefined ? history : m.id === deps.id ? deps : m,
    ),
    format,
    output: values.output,
    failOn,
    baseline: values.baseline,
    writeBaseline: values['write-baseline'],
    exclude: values.exclude ?? [],
  };
}

/** The secrets module reading git history too, for `--git-history [--since rev]`. */
function gitHistoryModule(
  enabled: boolean,
  since: string | undefined,
  exclude: readonly string[],
  modules: readonly ScanModule[],
): ScanModule | undefined | { error: string } {
  if (!enabled) return since === undefined ? undefined : { error: '--since needs --git-history' };
  if (!modules.some((m) => m.id === 'secrets')) return { error: '--git-history needs the secrets module' };
  if (since !== undefined && !isSafeRevision(since)) {
    return { error: `--since must be a revision (a branch, tag or commit), not '${since}'` };
  }
  return createSecretsModule({ gitHistory: { exclude, ...(since === undefined ? {} : { since }) } });
}
