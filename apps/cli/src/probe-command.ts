import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatProblem, loadConfig } from '@rampart/config';
import {
  CouldNotProbe,
  CredentialsError,
  formatJson,
  formatSarif,
  formatText,
  probeExitCode,
  readCredentials,
  runProbe,
  TargetUnreachable,
} from '@rampart/probe';
import {
  BaselineError,
  isSeverity,
  readBaseline,
  SEVERITIES,
  writeBaseline,
  type Baseline,
} from '@rampart/scan';
import type { CommandIo } from './check-command.ts';
import { paint } from './terminal.ts';

const usage = `Usage: rampart probe <gateway-url> --credentials <file> [options]

Test a running gateway as an attacker would, with the attack surface rampart.yaml declares:
missing and forged tokens (alg none, key confusion, kid/jku/x5u/jwk, no exp, expired, wrong audience),
user B on user A's objects, scopes and methods, path tricks, request smuggling, identity and
X-Forwarded-For headers, rate limits and the penalty box, CORS, TLS versions and suites, security
headers, error leaks, cache keys across users and schema enforcement.

Only the URL named here is contacted, at a bounded rate. No POST, PUT, PATCH or DELETE is sent
without --allow-writes; what the probe creates it deletes where a DELETE route allows.

Options:
  --config <file>          the target's rampart.yaml (default: rampart.yaml)
  --credentials <file>     {"userA": "<token>", "userB": "<token>", "client"?: "<token>",
                           "signingKey"?: <issuer private JWK, test environments only>};
                           a token may be written \${env:NAME} (see docs/probe.md)
  --allow-writes           also send unsafe methods (creates objects as user A)
  --rate <n>               requests per second at most (default 40)
  --max-requests <n>       requests in all at most (default 2000)
  --format text|json|sarif the report on stdout (default text; progress goes to stderr);
                           sarif is SARIF 2.1.0 for GitHub code scanning (upload-sarif)
  --fail-on <severity>     exit 1 for an unsuppressed finding at or above it: critical, high,
                           medium, low, info (default low)
  --baseline <file>        findings whose fingerprint is in file (with a reason) are reported as
                           suppressed and do not fail the run: CI fails only on new findings
  --write-baseline <file>  write every unsuppressed finding to file (reasons of --baseline kept)
  --ca <file>              PEM trust anchors for the target (default: .rampart/ca.pem beside
                           the config when it exists, else the system's)
  --insecure-skip-verify   do not verify the target's certificate (never in CI against anything real)
  -h, --help               show this help

Exit status: 0 no unsuppressed finding at or above --fail-on, 1 findings, 2 could not probe
(unreachable target, credentials refused, bad options, config or baseline) — never 0 when it
could not look.
`;

interface Values {
  config?: string;
  credentials?: string;
  'allow-writes'?: boolean;
  rate?: string;
  'max-requests'?: string;
  format?: string;
  'fail-on'?: string;
  baseline?: string;
  'write-baseline'?: string;
  ca?: string;
  'insecure-skip-verify'?: boolean;
  help?: boolean;
}

/**
 * `rampart probe <url> …`: progress on stderr, the report on stdout.
 *
 * @example
 * process.exitCode = await probeCommand(['https://127.0.0.1:8443', '--credentials', 'creds.json'], io);
 */
export async function probeCommand(argv: string[], io: CommandIo): Promise<number> {
  let values: Values;
  let positionals: string[];
  const fail = (message: string): number => {
    io.stderr.write(`rampart probe: ${message}\n`);
    return 2;
  };
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        credentials: { type: 'string' },
        'allow-writes': { type: 'boolean' },
        rate: { type: 'string' },
        'max-requests': { type: 'string' },
        format: { type: 'string' },
        'fail-on': { type: 'string' },
        baseline: { type: 'string' },
        'write-baseline': { type: 'string' },
        ca: { type: 'string' },
        'insecure-skip-verify': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    io.stderr.write(`rampart probe: ${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return 2;
  }
  if (values.help === true) {
    io.stdout.write(usage);
    return 0;
  }
  if (positionals.length !== 1)
    return fail(`expected one gateway URL, got ${positionals.length}\n\n${usage}`);
  let target: URL;
  try {
    target = new URL(positionals[0] ?? '');
  } catch {
    return fail(`not a URL: ${positionals[0]}`);
  }
  if (target.protocol !== 'https:') return fail(`the gateway URL must be https://, got ${target.protocol}`);
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json' && format !== 'sarif')
    return fail(`--format must be text, json or sarif, got ${format}`);
  const failOn = values['fail-on'] ?? 'low';
  if (!isSeverity(failOn)) return fail(`--fail-on must be one of ${SEVERITIES.join(', ')}`);
  const rate = Number(values.rate ?? 40);
  if (!Number.isFinite(rate) || rate <= 0 || rate > 500)
    return fail('--rate must be a number of requests per second, 1 to 500');
  const maxRequests = Number(values['max-requests'] ?? 2000);
  if (!Number.isInteger(maxRequests) || maxRequests < 50)
    return fail('--max-requests must be an integer of at least 50');
  if (values.credentials === undefined) return fail(`--credentials is required\n\n${usage}`);
  if (values.ca !== undefined && values['insecure-skip-verify'] === true)
    return fail('--ca and --insecure-skip-verify exclude each other');

  let baseline: { file: string; baseline: Baseline } | undefined;
  if (values.baseline !== undefined) {
    try {
      baseline = { file: resolve(values.baseline), baseline: await readBaseline(values.baseline) };
    } catch (error) {
      if (error instanceof BaselineError) return fail(error.message);
      throw error;
    }
  }

  const loaded = await loadConfig(values.config ?? 'rampart.yaml');
  if (!loaded.ok) {
    for (const problem of loaded.problems) io.stderr.write(`${formatProblem(problem, { color: false })}\n`);
    return fail(`${loaded.file} is not valid: the attack surface is unknown`);
  }
  let credentials;
  try {
    credentials = readCredentials(values.credentials);
  } catch (error) {
    if (error instanceof CredentialsError) return fail(error.message);
    throw error;
  }
  const localCa = join(dirname(loaded.file), '.rampart/ca.pem');
  const caFile =
    values.ca ?? (values['insecure-skip-verify'] !== true && existsSync(localCa) ? localCa : undefined);
  let ca: { pem: string; file: string } | undefined;
  if (caFile !== undefined) {
    try {
      ca = { pem: readFileSync(caFile, 'utf8'), file: caFile };
    } catch (error) {
      return fail(`cannot read --ca ${caFile}: ${(error as Error).message}`);
    }
    if (values.ca === undefined)
      io.stderr.write(`trusting ${caFile} (the local edge CA beside the config)\n`);
  }
  if (values['insecure-skip-verify'] === true)
    io.stderr.write(
      "⚠ --insecure-skip-verify: the target's certificate is NOT verified — anyone between here and it could answer in its place and read the tokens sent\n",
    );
  if (values['allow-writes'] === true)
    io.stderr.write(
      '⚠ --allow-writes: the probe sends POST, PUT, PATCH and DELETE and creates objects as user A\n',
    );

  try {
    const report = await runProbe({
      target,
      config: loaded.config,
      credentials,
      allowWrites: values['allow-writes'] === true,
      rate,
      maxRequests,
      ...(ca === undefined ? {} : { ca }),
      ...(values['insecure-skip-verify'] === true ? { insecureSkipVerify: true } : {}),
      progress: (message) => io.stderr.write(`… ${message}\n`),
      ...(baseline === undefined ? {} : { baseline }),
    });
    io.stdout.write(
      format === 'text'
        ? formatText(report, failOn, paint(io.color))
        : `${JSON.stringify(format === 'json' ? formatJson(report, failOn) : formatSarif(report), null, 2)}\n`,
    );
    if (values['write-baseline'] !== undefined) {
      const file = values['write-baseline'];
      try {
        const written = await writeBaseline(file, report.findings, baseline?.baseline);
        io.stderr.write(`rampart probe: wrote ${written.findings.length} findings to ${file}\n`);
      } catch (error) {
        return fail(`cannot write ${file}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return probeExitCode(report, failOn);
  } catch (error) {
    if (error instanceof TargetUnreachable || error instanceof CouldNotProbe)
      return fail(`could not probe ${target.origin}: ${error.message}`);
    throw error;
  }
}
