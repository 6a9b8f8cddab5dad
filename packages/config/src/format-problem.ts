import { isAbsolute, relative } from 'node:path';
import { styleText } from 'node:util';
import type { ConfigProblem } from './problem.ts';

/**
 * One problem as a line a person (and an editor's problem matcher) reads:
 * `examples/shop/rampart.yaml:12:5 error CFG_UNKNOWN_KEY unknown key \`polcy\` — did you mean \`policy\`?`
 * followed by an indented `fix:` line when there is one. The file is shown relative to the
 * working directory when it lies inside it.
 */
export function formatProblem(p: ConfigProblem, opts: { color?: boolean } = {}): string {
  const color = opts.color ?? false;
  const paint = (format: Parameters<typeof styleText>[0], text: string): string =>
    color ? styleText(format, text, { validateStream: false }) : text;
  const where = p.line > 0 ? `${displayPath(p.file)}:${p.line}:${p.column}` : displayPath(p.file);
  const severity = paint(p.severity === 'error' ? ['bold', 'red'] : ['bold', 'yellow'], p.severity);
  let out = `${paint('underline', where)} ${severity} ${paint('dim', p.code)} ${p.message}`;
  if (p.fix !== undefined) out += `\n    ${paint('cyan', 'fix:')} ${p.fix}`;
  return out;
}

export function displayPath(file: string): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(process.cwd(), file);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? file : rel;
}
