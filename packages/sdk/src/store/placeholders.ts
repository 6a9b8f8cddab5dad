/** Which engine's lexical rules to follow when looking for `?` placeholders. */
export type SqlDialect = 'postgres' | 'sqlite';

export interface ScannedSql {
  /** The statement with each `?` replaced by `$1..$n` (PostgreSQL) or unchanged (SQLite). */
  readonly text: string;
  /** How many placeholders the statement has. */
  readonly count: number;
}

const IDENTIFIER_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;

/**
 * Finds the `?` placeholders of one statement, skipping string literals (`'…'`, `E'…'`,
 * PostgreSQL `$tag$…$tag$`), quoted identifiers and comments, and — for PostgreSQL — rewrites them
 * to `$1..$n`. A `?` inside a literal or comment stays as it is. Engine-specific placeholders
 * (`$1`, `?1`, `$name`) are refused with a `TypeError`, so every statement reads the same on both
 * engines. `?` is always a placeholder outside literals: PostgreSQL's JSONB `?` operators must be
 * written as the functions `jsonb_exists`, `jsonb_exists_any`, `jsonb_exists_all`.
 *
 * @example
 * scanPlaceholders("SELECT '?' AS q, id FROM t WHERE a = ? AND b = ?", 'postgres');
 * // { text: "SELECT '?' AS q, id FROM t WHERE a = $1 AND b = $2", count: 2 }
 */
export function scanPlaceholders(sql: string, dialect: SqlDialect): ScannedSql {
  let out = '';
  let count = 0;
  let copiedTo = 0;
  let i = 0;
  const n = sql.length;
  const emit = (replacement: string): void => {
    out += sql.slice(copiedTo, i) + replacement;
    copiedTo = i + 1;
  };
  while (i < n) {
    const c = sql[i];
    const next = sql[i + 1];
    if (c === "'") {
      const previous = sql[i - 1];
      const escapes =
        dialect === 'postgres' &&
        (previous === 'E' || previous === 'e') &&
        !IDENTIFIER_CHAR.test(sql[i - 2] ?? ' ');
      i = skipQuoted(sql, i, "'", escapes);
    } else if (c === '"') {
      i = skipQuoted(sql, i, '"', false);
    } else if (dialect === 'sqlite' && c === '`') {
      i = skipQuoted(sql, i, '`', false);
    } else if (dialect === 'sqlite' && c === '[') {
      const end = sql.indexOf(']', i + 1);
      i = end < 0 ? n : end + 1;
    } else if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i + 2);
      i = end < 0 ? n : end + 1;
    } else if (c === '/' && next === '*') {
      i = skipBlockComment(sql, i, dialect === 'postgres');
    } else if (c === '$' && !IDENTIFIER_CHAR.test(sql[i - 1] ?? ' ')) {
      if (next !== undefined && /[0-9A-Za-z_]/.test(next) && (dialect === 'sqlite' || /[0-9]/.test(next))) {
        throw new TypeError('use ? placeholders: $1 and $name are engine-specific');
      }
      DOLLAR_TAG.lastIndex = i;
      const tag = dialect === 'postgres' ? DOLLAR_TAG.exec(sql)?.[0] : undefined;
      if (tag === undefined) {
        i += 1;
      } else {
        const end = sql.indexOf(tag, i + tag.length);
        i = end < 0 ? n : end + tag.length;
      }
    } else if (c === '?') {
      if (next !== undefined && /[0-9]/.test(next)) {
        throw new TypeError('use plain ? placeholders: ?1 numbering is engine-specific');
      }
      count += 1;
      if (dialect === 'postgres') emit(`$${count}`);
      i += 1;
    } else {
      i += 1;
    }
  }
  return { text: copiedTo === 0 ? sql : out + sql.slice(copiedTo), count };
}

/** Throws a `TypeError` unless as many parameters are given as the statement has placeholders. */
export function assertParameterCount(scanned: { readonly count: number }, given: number): void {
  if (scanned.count !== given) {
    throw new TypeError(
      `the statement has ${scanned.count} ? placeholder(s) but ${given} parameter(s) were given`,
    );
  }
}

/** Index just past the closing quote; doubled quotes (and, if `escapes`, backslashes) escape. */
function skipQuoted(sql: string, start: number, quote: string, escapes: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i];
    if (escapes && c === '\\') {
      i += 2;
    } else if (c === quote) {
      if (sql[i + 1] !== quote) return i + 1;
      i += 2;
    } else {
      i += 1;
    }
  }
  return sql.length;
}

/** Index just past the end of a `/* … *\/` comment; PostgreSQL nests them, SQLite does not. */
function skipBlockComment(sql: string, start: number, nested: boolean): number {
  let depth = 1;
  let i = start + 2;
  while (i < sql.length) {
    if (nested && sql[i] === '/' && sql[i + 1] === '*') {
      depth += 1;
      i += 2;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      depth -= 1;
      i += 2;
      if (depth === 0) return i;
    } else {
      i += 1;
    }
  }
  return sql.length;
}
