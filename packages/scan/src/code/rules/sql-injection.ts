import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import {
  calleeName,
  constInitializer,
  isConstantName,
  isRequestDerived,
  isStatic,
  memberPath,
  parentOf,
  snippet,
  findVariable,
  unwrap,
  type Context,
  type Node,
} from './analysis.ts';
import { defineCodeRule } from './define-rule.ts';

/** Statements' first words: a string starting so is SQL. */
const SQL_START =
  /^\s*(?:SELECT|INSERT|UPDATE|DELETE|WITH|CREATE|DROP|ALTER|GRANT|REVOKE|TRUNCATE|MERGE|REPLACE|UPSERT|CALL|EXEC|EXECUTE|SET|SHOW|DECLARE|VACUUM|ANALYZE|COPY|LOCK|COMMENT)\b/iu;
/** …or one with clauses of a statement in it. */
const SQL_CLAUSE =
  /\b(?:SELECT\b[\s\S]*\bFROM|INSERT\s+INTO|UPDATE\b[\s\S]*\bSET|DELETE\s+FROM|WHERE|ORDER\s+BY|VALUES)\b/iu;
/** Calls that run SQL in the drivers and query builders Node services use, and the Rampart store. */
const SQL_METHODS = new Set([
  'query',
  'run',
  'get',
  'all',
  'exec',
  'execute',
  'prepare',
  'raw',
  'unsafe',
  'many',
  'one',
  'oneOrNone',
  'manyOrNone',
  'any',
  'none',
  'each',
  '$queryRawUnsafe',
  '$executeRawUnsafe',
  'whereRaw',
  'havingRaw',
  'orderByRaw',
  'joinRaw',
]);
/** Functions whose result is a quoted identifier or placeholders: safe to interpolate. */
const ESCAPES = /escape|quote|ident|placeholder|sqlList|format/iu;

/** The parts of a built SQL string: its constant text and its interpolated expressions. */
interface BuiltString {
  readonly text: string;
  readonly parts: readonly Node[];
}

function built(context: Context, node: Node, depth = 0): BuiltString | undefined {
  const n = unwrap(node);
  if (depth > 4) return undefined;
  if (n.type === AST_NODE_TYPES.TemplateLiteral) {
    return { text: n.quasis.map((q) => q.value.cooked ?? '').join(' '), parts: n.expressions };
  }
  if (n.type === AST_NODE_TYPES.BinaryExpression && n.operator === '+') {
    const left = flatten(context, n.left, depth);
    const right = flatten(context, n.right, depth);
    return { text: `${left.text} ${right.text}`, parts: [...left.parts, ...right.parts] };
  }
  if (n.type === AST_NODE_TYPES.Identifier) {
    const init = constInitializer(context, n);
    return init === undefined ? undefined : built(context, init, depth + 1);
  }
  return undefined;
}

function flatten(context: Context, node: Node, depth: number): BuiltString {
  const n = unwrap(node);
  if (n.type === AST_NODE_TYPES.Literal && typeof n.value === 'string') return { text: n.value, parts: [] };
  return built(context, n, depth + 1) ?? { text: '', parts: [n] };
}

/** An interpolated part that cannot carry SQL: constant, escaped, placeholders, a number. */
function isSafePart(context: Context, part: Node, depth = 0): boolean {
  if (depth > 6) return false;
  if (isStatic(context, part)) return true;
  const n = unwrap(part);
  const again = (child: Node): boolean => isSafePart(context, child, depth + 1);
  if (n.type === AST_NODE_TYPES.TemplateLiteral) return n.expressions.every(again);
  if (n.type === AST_NODE_TYPES.BinaryExpression)
    return n.left.type !== AST_NODE_TYPES.PrivateIdentifier && again(n.left) && again(n.right);
  if (n.type === AST_NODE_TYPES.ConditionalExpression) return again(n.consequent) && again(n.alternate);
  if (n.type === AST_NODE_TYPES.ArrayExpression)
    return n.elements.every(
      (e) => e !== null && again(e.type === AST_NODE_TYPES.SpreadElement ? e.argument : e),
    );
  if (n.type === AST_NODE_TYPES.MemberExpression && memberPath(n)?.join('.') === 'process.pid') return true;
  if (n.type === AST_NODE_TYPES.CallExpression) {
    const name = calleeName(n) ?? '';
    if (ESCAPES.test(name)) return true;
    // `ids.map(() => '?').join(', ')`
    if (GENERATED.has(name)) return true;
    if (TRANSFORMS.has(name) && n.callee.type === AST_NODE_TYPES.MemberExpression)
      return again(n.callee.object);
    // `ids.map(() => '?')`, `COLUMNS.map((c) => `${c} = ?`)`, `Array.from({ length: n }, () => '(?, ?)')`
    if (name === 'map' || name === 'from') {
      const fn = n.arguments[name === 'map' ? 0 : 1];
      const receiver = n.callee.type === AST_NODE_TYPES.MemberExpression ? n.callee.object : undefined;
      if (
        fn?.type === AST_NODE_TYPES.ArrowFunctionExpression &&
        fn.body.type !== AST_NODE_TYPES.BlockStatement
      ) {
        const receiverSafe = name === 'from' || (receiver !== undefined && again(receiver));
        const params = new Set(
          fn.params.flatMap((p) => (p.type === AST_NODE_TYPES.Identifier ? [p.name] : [])),
        );
        const body = unwrap(fn.body);
        const parts = body.type === AST_NODE_TYPES.TemplateLiteral ? body.expressions : [body];
        const safeParam = (e: Node): boolean =>
          unwrap(e).type === AST_NODE_TYPES.Identifier && params.has((unwrap(e) as TSESTree.Identifier).name);
        if (parts.every((e) => again(e) || (receiverSafe && safeParam(e)))) return true;
      }
    }
    if (name === 'fill' && n.arguments[0] !== undefined) return again(n.arguments[0]);
    if (name === 'repeat' || name === 'toFixed' || name === 'toISOString') return true;
  }
  if (n.type === AST_NODE_TYPES.Identifier) {
    const init = constInitializer(context, n);
    if (init !== undefined) return again(init);
    return loopOverConstants(context, n) || builtFromSafeParts(context, n, depth);
  }
  if (
    n.type === AST_NODE_TYPES.MemberExpression &&
    n.object.type === AST_NODE_TYPES.Identifier &&
    isConstantName(n.object.name)
  )
    return true;
  return false;
}

/** Values made here, not received: random names, clocks. */
const GENERATED = new Set(['randomUUID', 'randomBytes', 'randomInt', 'now']);
/** Methods whose result is as safe as the value they are called on. */
const TRANSFORMS = new Set(['join', 'toString', 'toLowerCase', 'toUpperCase', 'slice', 'substring', 'trim']);

/**
 * `const sets = []; sets.push('name = ?'); … sets.join(', ')` or `let where = ''; where += ' AND x = ?'`:
 * a variable of this function whose every assignment and every `push` is itself safe.
 */
function builtFromSafeParts(context: Context, node: TSESTree.Identifier, depth: number): boolean {
  const variable = findVariable(context, node);
  if (variable === undefined || variable.defs[0]?.node.type !== AST_NODE_TYPES.VariableDeclarator)
    return false;
  let writes = 0;
  for (const reference of variable.references) {
    const written = reference.writeExpr;
    if (reference.isWrite() && written !== null && written !== undefined) {
      if (!isSafePart(context, written, depth + 1)) return false;
      writes += 1;
      continue;
    }
    const member = parentOf(reference.identifier);
    const call = member === undefined ? undefined : parentOf(member);
    if (
      member?.type === AST_NODE_TYPES.MemberExpression &&
      call?.type === AST_NODE_TYPES.CallExpression &&
      call.callee === member
    ) {
      const method = propertyNameOf(member);
      if (method === 'push' || method === 'unshift') {
        if (
          !call.arguments.every(
            (a) => a.type !== AST_NODE_TYPES.SpreadElement && isSafePart(context, a, depth + 1),
          )
        )
          return false;
        writes += 1;
      }
    }
  }
  return writes > 0;
}

function propertyNameOf(member: TSESTree.MemberExpression): string | undefined {
  return !member.computed && member.property.type === AST_NODE_TYPES.Identifier
    ? member.property.name
    : undefined;
}

/** `for (const table of USER_TABLES) run(`DELETE FROM ${table} …`)`: the loop variable of a constant list. */
function loopOverConstants(context: Context, node: TSESTree.Identifier): boolean {
  let current: Node | undefined = parentOf(node);
  while (current !== undefined) {
    if (
      current.type === AST_NODE_TYPES.ForOfStatement &&
      current.left.type === AST_NODE_TYPES.VariableDeclaration
    ) {
      const id = current.left.declarations[0].id;
      if (id.type === AST_NODE_TYPES.Identifier && id.name === node.name)
        return isStatic(context, current.right);
    }
    current = parentOf(current);
  }
  return false;
}

/** `code/sql-injection`: SQL text built from values instead of `?`/`$1` parameters. */
export const sqlInjection = defineCodeRule(
  'SQL built by concatenation or interpolation and passed to a query call',
  (context, report) => ({
    CallExpression(node) {
      const method = calleeName(node);
      if (
        method === undefined ||
        !SQL_METHODS.has(method) ||
        node.callee.type !== AST_NODE_TYPES.MemberExpression
      )
        return;
      const first = node.arguments[0];
      if (first === undefined || first.type === AST_NODE_TYPES.SpreadElement) return;
      const sql = built(context, first);
      if (sql === undefined || sql.parts.length === 0) return;
      if (!SQL_START.test(sql.text) && !SQL_CLAUSE.test(sql.text)) return;
      const unsafe = sql.parts.filter((part) => !isSafePart(context, part));
      if (unsafe.length === 0) return;
      const tainted = unsafe.filter((part) => isRequestDerived(context, part));
      const shown = (tainted[0] ?? unsafe[0]) as Node;
      if (tainted.length > 0) {
        report(
          node,
          `SQL passed to \`${method}\` is built from request input \`${snippet(context, shown)}\``,
          'critical',
        );
      } else {
        report(
          node,
          `SQL passed to \`${method}\` is built from \`${snippet(context, shown)}\`, not from parameters`,
        );
      }
    },
  }),
);
