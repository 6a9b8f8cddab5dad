import { dirname, isAbsolute, relative } from 'node:path';
import { parseArgs } from 'node:util';
import {
  externalServices,
  formatProblem,
  loadConfig,
  type ConfigProblem,
  type LoadResult,
  type RampartConfig,
} from '@rampart/config';
import { readExternalCas } from './up/external-cas.ts';
import { readSuppliedTls } from './up/supplied-tls.ts';

export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  color: boolean;
}

const usage = `Usage: rampart check [file] [--json] [--strict]

Validate a rampart.yaml (default: ./rampart.yaml): its YAML, its schema, and every rule the
components apply at start and reload (routes, policies, Cedar, callers, clients, token lifetimes,
ports, secrets, the files gateway.tls and each external upstream's pinned ca name). What it
accepts, every component accepts. Warnings name settings that are legal but dangerous (a public
write route, every address a trusted proxy, an http issuer, …). External upstreams and their
routes are listed as outside the mesh.

Options:
  --json       print { ok, file, errors, warnings, problems } as JSON
  --strict     treat warnings as errors (exit 1 when there is any)
  -h, --help   show this help

Exit status: 0 valid (warnings allowed unless --strict), 1 problems found, 2 usage error.
`;

/**
 * `rampart check [file] [--json] [--strict]`. `argv` is what follows `check` on the command line.
 * Warnings are printed and leave the exit status 0, unless `--strict` makes them errors.
 *
 * @example
 * process.exitCode = await checkCommand(['examples/shop/rampart.yaml'], { stdout, stderr, color: false });
 */
export async function checkCommand(argv: string[], io: CommandIo): Promise<number> {
  let values: { json?: boolean; strict?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: {
        json: { type: 'boolean' },
        strict: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    io.stderr.write(`rampart check: ${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return 2;
  }
  if (values.help === true) {
    io.stdout.write(usage);
    return 0;
  }
  if (positionals.length > 1) {
    io.stderr.write(`rampart check: expected at most one file, got ${positionals.length}\n\n${usage}`);
    return 2;
  }
  const result = withExternalCasChecked(
    withSuppliedTlsChecked(await loadConfig(positionals[0] ?? 'rampart.yaml')),
  );
  const strict = values.strict === true;
  const problems = strict
    ? result.problems.map((p): ConfigProblem => ({ ...p, severity: 'error' }))
    : result.problems;
  const ok = result.ok && !(strict && result.problems.length > 0);
  if (values.json === true) {
    const errors = problems.filter((p) => p.severity === 'error').length;
    const report = {
      ok,
      file: result.file,
      errors,
      warnings: problems.length - errors,
      problems,
      ...(result.ok ? { outsideMesh: outsideMesh(result.config) } : {}),
    };
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return ok ? 0 : 1;
  }
  for (const problem of problems) io.stdout.write(`${formatProblem(problem, { color: io.color })}\n`);
  if (result.ok) for (const line of outsideMeshLines(result.config)) io.stdout.write(`${line}\n`);
  io.stdout.write(`${summary(result, problems, ok, io.color)}\n`);
  return ok ? 0 : 1;
}

/**
 * The files `gateway.tls` names, checked as `rampart up` checks them (readable, the key its owner's
 * alone, a certificate valid now that matches the key): a problem of the result when they are not.
 */
function withSuppliedTlsChecked(result: LoadResult): LoadResult {
  const tls = result.ok ? result.config.gateway?.tls : undefined;
  if (!result.ok || tls === undefined) return result;
  try {
    readSuppliedTls(tls, dirname(result.file));
    return result;
  } catch (error) {
    const problem: ConfigProblem = {
      code: 'SUP_GATEWAY_TLS_INVALID',
      file: result.file,
      line: 0,
      column: 0,
      severity: 'error',
      message: error instanceof Error ? error.message : String(error),
      fix: 'fix the file it names (chmod 600 the key; the full chain, leaf first, valid now, matching the key)',
    };
    return { ok: false, file: result.file, problems: [...result.problems, problem] };
  }
}

/**
 * The pinned CA file of each external upstream, checked as `rampart up` checks it (readable, CA
 * certificates only, valid now): a problem of the result when it is not.
 */
function withExternalCasChecked(result: LoadResult): LoadResult {
  if (!result.ok) return result;
  try {
    readExternalCas(result.config, dirname(result.file));
    return result;
  } catch (error) {
    const problem: ConfigProblem = {
      code: 'SUP_EXTERNAL_CA_INVALID',
      file: result.file,
      line: 0,
      column: 0,
      severity: 'error',
      message: error instanceof Error ? error.message : String(error),
      fix: "write the CA certificate(s) that sign the upstream's certificate (PEM, basicConstraints CA:TRUE, valid now) to the file it names",
    };
    return { ok: false, file: result.file, problems: [...result.problems, problem] };
  }
}

/** Each external upstream: where it is, what it is pinned to, and its routes. */
interface OutsideMesh {
  readonly name: string;
  readonly url: string;
  readonly ca: string;
  readonly routes: readonly string[];
}

function outsideMesh(config: RampartConfig): OutsideMesh[] {
  return externalServices(config).map(([name, external]) => ({
    name,
    url: external.url,
    ca: external.ca,
    routes: (external.routes ?? []).map((route) => `${route.method} ${route.path}`),
  }));
}

/** What `check` prints of them: marked outside the mesh, so nobody mistakes them for services. */
function outsideMeshLines(config: RampartConfig): string[] {
  return outsideMesh(config).map(
    (external) =>
      `outside the mesh: external \`${external.name}\` → ${external.url} (TLS pinned to ${external.ca}; ` +
      `no token or client credential forwarded)${external.routes.length === 0 ? ', no routes' : `: ${external.routes.join(', ')}`}`,
  );
}

function summary(
  result: LoadResult,
  problems: readonly ConfigProblem[],
  ok: boolean,
  color: boolean,
): string {
  const paint = (code: number, text: string): string => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const warnings = problems.filter((p) => p.severity === 'warning').length;
  const errors = problems.length - warnings;
  if (ok && result.ok) {
    const services = Object.values(result.config.services);
    const externals = Object.values(result.config.external ?? {});
    const routes = [...services, ...externals].reduce((n, s) => n + (s.routes?.length ?? 0), 0);
    const outside = externals.reduce((n, s) => n + (s.routes?.length ?? 0), 0);
    const parts = [count(services.length, 'service')];
    if (externals.length > 0) parts.push(`${count(externals.length, 'external upstream')} outside the mesh`);
    parts.push(
      outside > 0 ? `${count(routes, 'route')} (${outside} outside the mesh)` : count(routes, 'route'),
    );
    if (warnings > 0) parts.push(count(warnings, 'warning'));
    return `${paint(32, '✓')} ${displayPath(result.file)} is valid (${parts.join(', ')})`;
  }
  const parts = [count(errors, 'error')];
  if (warnings > 0) parts.push(count(warnings, 'warning'));
  return `${paint(31, '✗')} ${parts.join(', ')}`;
}

/** The file relative to the working directory when it lies inside it, as problems show it. */
function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? file : rel;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
