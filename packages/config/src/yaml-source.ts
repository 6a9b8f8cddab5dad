import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { Anchor, DataPath } from './problem.ts';

/** Aliases are rarely needed in rampart.yaml; a handful is allowed, an alias bomb is not. */
export const MAX_ALIAS_COUNT = 20;

export interface Position {
  line: number;
  column: number;
}

export interface YamlIssue extends Position {
  message: string;
  fix?: string;
}

/** A parsed rampart.yaml: its plain data, and a way back from a data path to file positions. */
export interface YamlSource {
  data: unknown;
  issues: YamlIssue[];
  locate(path: DataPath, anchor: Anchor): Position;
}

/** Parses YAML without ever throwing: syntax errors, duplicate keys and alias bombs become issues. */
export function parseYaml(text: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, stringKeys: true });
  const at = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  // After the first syntax error the parser's view of the file is unreliable and the rest is
  // mostly noise, so only that one is reported — besides duplicate keys, which stand alone.
  const all = [...doc.errors, ...doc.warnings].sort((a, b) => a.pos[0] - b.pos[0]);
  const firstSyntax = all.find((e) => e.code !== 'DUPLICATE_KEY');
  const issues: YamlIssue[] = all
    .filter((e) => e.code === 'DUPLICATE_KEY' || e === firstSyntax)
    .map((e): YamlIssue => {
      const key = /^[\w$-]{1,40}(?=\s*:)/.exec(text.slice(e.pos[0], e.pos[0] + 80))?.[0];
      const message =
        e.code === 'DUPLICATE_KEY' && key !== undefined
          ? `duplicate key \`${key}\`: each key may appear only once in a mapping`
          : describeYamlError(e.code, e.message);
      const issue = { ...at(e.pos[0]), message };
      return e.code === 'UNEXPECTED_TOKEN' || /flow/.test(e.message)
        ? {
            ...issue,
            fix: 'quote values that contain `{`, `}`, `[`, `]`, `,` or `: ` — e.g. path: "/orders/{id}" inside { }',
          }
        : issue;
    });
  let data: unknown = null;
  if (doc.errors.length === 0) {
    try {
      data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      issues.push({ line: 1, column: 1, message: describeYamlError('ALIAS', message) });
    }
  }
  return { data, issues, locate: (path, anchor) => at(locateOffset(doc, path, anchor)) };
}

function describeYamlError(code: string, message: string): string {
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'duplicate key: each key may appear only once in a mapping';
    case 'ALIAS':
      return /excessive alias count/i.test(message)
        ? `too many alias expansions (the limit is ${MAX_ALIAS_COUNT}) — write the values out instead`
        : `YAML alias problem: ${firstLine(message)}`;
    case 'TAB_AS_INDENT':
      return 'YAML syntax: tabs are not allowed for indentation — indent with spaces';
    case 'MULTIPLE_DOCS':
      return 'YAML syntax: the file holds more than one document (`---`) — keep one';
    default:
      return `YAML syntax: ${firstLine(message)}`;
  }
}

/** The parser's message without the source text it sometimes quotes, which may be a secret. */
function firstLine(message: string): string {
  const line = message.split('\n')[0] ?? message;
  return line
    .replace(/ at line \d+, column \d+:?$/, '')
    .replace(/:\s*".*$/, '')
    .replace(/"[^"]*"|'[^']*'/g, '…');
}

/** The offset of the key, value or mapping at `path`, or of the nearest ancestor that exists. */
function locateOffset(doc: Document, path: DataPath, anchor: Anchor): number {
  let node: unknown = doc.contents;
  let keyOffset: number | undefined;
  for (const segment of path) {
    node = deref(doc, node);
    let next: unknown;
    let nextKey: number | undefined;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment),
      );
      if (pair !== undefined) {
        nextKey = startOf(pair.key);
        next = pair.value ?? undefined;
      }
    } else if (isSeq(node) && typeof segment === 'number') {
      next = node.items[segment];
      nextKey = startOf(next);
    }
    if (nextKey === undefined) return startOf(node) ?? keyOffset ?? 0;
    keyOffset = nextKey;
    node = next;
  }
  node = deref(doc, node);
  if (anchor === 'key') return keyOffset ?? startOf(node) ?? 0;
  return startOf(node) ?? keyOffset ?? 0;
}

function deref(doc: Document, node: unknown): unknown {
  return isAlias(node) ? (node.resolve(doc) ?? node) : node;
}

function startOf(node: unknown): number | undefined {
  if (isScalar(node) || isMap(node) || isSeq(node) || isAlias(node)) {
    const range = node.range;
    return range?.[0];
  }
  return undefined;
}
