import { isAbsolute, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { formatProblem, loadConfig } from '@rampart/config';

export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  color: boolean;
}

const usage = `Usage: rampart check [file] [--json]

Validate a rampart.yaml (default: ./rampart.yaml): its YAML, its schema, and the checks that
tie routes, policies, callers, ports and secrets together.

Options:
  --json       print { ok, file, problems } as JSON
  -h, --help   show this help

Exit status: 0 valid (warnings allowed), 1 problems found, 2 usage error.
`;

/**
 * `rampart check [file] [--json]`. `argv` is what follows `check` on the command line.
 *
 * @example
 * process.exitCode = await checkCommand(['examples/shop/rampart.yaml'], { stdout, stderr, color: false });
 */
export async function checkCommand(argv: string[], io: CommandIo): Promise<number> {
  let values: { json?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
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
  const result = await loadConfig(positionals[0] ?? 'rampart.yaml');
  if (values.json === true) {
    io.stdout.write(
      `${JSON.stringify({ ok: result.ok, file: result.file, problems: result.problems }, null, 2)}\n`,
    );
    return result.ok ? 0 : 1;
  }
  for (const problem of result.problems) io.stdout.write(`${formatProblem(problem, { color: io.color })}\n`);
  io.stdout.write(`${summary(result, io.color)}\n`);
  return result.ok ? 0 : 1;
}

function summary(result: Awaited<ReturnType<typeof loadConfig>>, color: boolean): string {
  const paint = (code: number, text: string): string => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const warnings = result.problems.filter((p) => p.severity === 'warning').length;
  const errors = result.problems.length - warnings;
  if (result.ok) {
    const services = Object.values(result.config.services);
    const routes = services.reduce((n, s) => n + (s.routes?.length ?? 0), 0);
    const parts = [count(services.length, 'service'), count(routes, 'route')];
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
