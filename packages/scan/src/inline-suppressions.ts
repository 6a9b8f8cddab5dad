/** `rampart-ignore <rule>[,<rule>…] <reason>` in a `#` or `//` comment. */
const IGNORE = /(?:#|\/\/)\s*rampart-ignore(?:\s+([^\s]+))?(?:\s+(.*?))?\s*$/u;

export interface InlineIgnore {
  /** 1-based line of the comment. */
  readonly line: number;
  readonly rules: readonly string[];
  /** Empty when the comment gives none: such an ignore is refused and reported. */
  readonly reason: string;
}

/**
 * The `rampart-ignore` comment that covers `line` for `ruleId`: on that line itself or on the line
 * before. `lines` is the file split on line breaks.
 *
 * @example
 * // USER root  # rampart-ignore dockerfile/root-user the init step needs it; dropped in the next stage
 * inlineIgnoreFor(lines, 12, 'dockerfile/root-user'); // { line: 12, rules: [...], reason: 'the init step…' }
 */
export function inlineIgnoreFor(
  lines: readonly string[],
  line: number,
  ruleId: string,
): InlineIgnore | undefined {
  for (const candidate of [line, line - 1]) {
    const ignore = parseIgnore(lines[candidate - 1], candidate);
    if (ignore?.rules.includes(ruleId)) return ignore;
  }
  return undefined;
}

function parseIgnore(text: string | undefined, line: number): InlineIgnore | undefined {
  if (text === undefined) return undefined;
  const match = IGNORE.exec(text);
  if (match === null) return undefined;
  return { line, rules: (match[1] ?? '').split(',').filter((r) => r !== ''), reason: match[2] ?? '' };
}
