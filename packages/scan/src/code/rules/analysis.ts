// What the code rules share: constant folding, name words, and the intra-procedural "does this value
// come from the request" question. Everything here looks at one function at a time (a variable is
// followed to its declaration in the same file, never into another function or module).
import type { TSESLint, TSESTree } from '@typescript-eslint/utils';

export type Node = TSESTree.Node;
export type Expression = TSESTree.Expression;
export type Context = Readonly<TSESLint.RuleContext<string, readonly unknown[]>>;
type Scope = TSESLint.Scope.Scope;
type Variable = TSESLint.Scope.Variable;

/** The words of an identifier, lower-cased: `requestId` → `request id`, `API_TOKEN` → `api token`. */
export function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/gu, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/gu, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/u)
    .filter((w) => w !== '');
}

/** `SCREAMING_CASE`: a module constant by convention. */
export function isConstantName(name: string): boolean {
  return /^[A-Z][A-Z0-9_]*$/u.test(name) && /[A-Z]{2}/u.test(name);
}

export function findVariable(context: Context, node: TSESTree.Identifier): Variable | undefined {
  let scope: Scope | null = context.sourceCode.getScope(node);
  while (scope !== null) {
    const variable = scope.set.get(node.name);
    if (variable !== undefined) return variable;
    scope = scope.upper;
  }
  return undefined;
}

/** The initializer of `const name = <init>` (a plain identifier binding), if that is how it was declared. */
export function constInitializer(context: Context, node: TSESTree.Identifier): Expression | undefined {
  const definition = findVariable(context, node)?.defs[0];
  if (definition?.type !== 'Variable') return undefined;
  const declarator = definition.node;
  if (declarator.id.type !== 'Identifier' || declarator.init === null) return undefined;
  return declarator.parent.kind === 'const' ? declarator.init : undefined;
}

/** Unwraps `x as T`, `x!`, `<T>x`, `x satisfies T` and parentheses. */
export function unwrap(node: Node): Node {
  let current = node;
  while (
    current.type === 'TSAsExpression' ||
    current.type === 'TSNonNullExpression' ||
    current.type === 'TSTypeAssertion' ||
    current.type === 'TSSatisfiesExpression'
  ) {
    current = current.expression;
  }
  return current;
}

/** The value of a string literal, or of a template literal without interpolation. */
export function stringValue(node: Node | undefined): string | undefined {
  if (node === undefined) return undefined;
  const n = unwrap(node);
  if (n.type === 'Literal' && typeof n.value === 'string') return n.value;
  if (n.type === 'TemplateLiteral' && n.expressions.length === 0) return n.quasis[0]?.value.cooked ?? undefined;
  return undefined;
}

/**
 * True when the expression's value is fixed by the source: literals, templates and concatenations of
 * them, SCREAMING_CASE constants, `const` bindings of such values, numbers derived from anything
 * (`.length`, `Number(x)`), and `typeof`.
 */
export function isStatic(context: Context, node: Node, depth = 0): boolean {
  if (depth > 8) return false;
  const n = unwrap(node);
  const again = (child: Node): boolean => isStatic(context, child, depth + 1);
  switch (n.type) {
    case 'Literal':
      return true;
    case 'TemplateLiteral':
      return n.expressions.every(again);
    case 'BinaryExpression':
      return n.left.type !== 'PrivateIdentifier' && again(n.left) && again(n.right);
    case 'UnaryExpression':
      return n.operator === 'typeof' || again(n.argument);
    case 'ConditionalExpression':
      return again(n.consequent) && again(n.alternate);
    case 'LogicalExpression':
      return again(n.left) && again(n.right);
    case 'ArrayExpression':
      return n.elements.every((e) => e !== null && e.type !== 'SpreadElement' && again(e));
    case 'Identifier': {
      if (n.name === 'undefined' || isConstantName(n.name)) return true;
      const init = constInitializer(context, n);
      return init !== undefined && again(init);
    }
    case 'MemberExpression':
      if (!n.computed && n.property.type === 'Identifier' && n.property.name === 'length') return true;
      return (
        (n.object.type === 'Identifier' && isConstantName(n.object.name)) ||
        (!n.computed && n.property.type === 'Identifier' && isConstantName(n.property.name)) ||
        (again(n.object) && (!n.computed || again(n.property)))
      );
    case 'CallExpression': {
      const name = calleeName(n);
      if (name === 'Number' || name === 'parseInt' || name === 'parseFloat' || name === 'String') {
        return name !== 'String' || n.arguments.every(again);
      }
      return false;
    }
    default:
      return false;
  }
}

/** The called function's own name: `f()` → `f`, `a.b.c()` → `c`. */
export function calleeName(call: TSESTree.CallExpression | TSESTree.NewExpression): string | undefined {
  const callee = unwrap(call.callee);
  if (callee.type === 'Identifier') return callee.name;
  if (callee.type === 'MemberExpression') return propertyName(callee);
  return undefined;
}

/** The name of a member's property when it is written out: `a.b` and `a['b']` → `b`. */
export function propertyName(member: TSESTree.MemberExpression): string | undefined {
  if (!member.computed && member.property.type === 'Identifier') return member.property.name;
  return stringValue(member.property);
}

/** The object a method is called on, as source text (`svc.store.run` → `svc.store`). */
export function calleeObject(call: TSESTree.CallExpression): Node | undefined {
  const callee = unwrap(call.callee);
  return callee.type === 'MemberExpression' ? callee.object : undefined;
}

/** The last name of an identifier or member chain: `req.headers.authorization` → `authorization`. */
export function lastName(node: Node): string | undefined {
  const n = unwrap(node);
  if (n.type === 'Identifier') return n.name;
  if (n.type === 'MemberExpression') return propertyName(n);
  return undefined;
}

/** The names of a member chain from its root: `req.query.next` → `['req', 'query', 'next']`. */
export function memberPath(node: Node): string[] | undefined {
  const n = unwrap(node);
  if (n.type === 'Identifier') return [n.name];
  if (n.type === 'ThisExpression') return ['this'];
  if (n.type === 'MemberExpression') {
    const head = memberPath(n.object);
    const name = propertyName(n);
    if (head === undefined) return undefined;
    return [...head, name ?? '[]'];
  }
  return undefined;
}

/** Names that hold the whole incoming request in the frameworks Node services use. */
const REQUEST_NAMES = new Set(['req', 'request', 'ctx', 'context']);
/** What of a request its sender chooses. (`principal`, `log`, `id` are the server's own.) */
const REQUEST_INPUT = new Set([
  'params',
  'query',
  'body',
  'headers',
  'cookies',
  'url',
  'originalUrl',
  'path',
  'hostname',
  'raw',
  'rawBody',
  'files',
  'file',
]);
/** Parameter names that are request input by themselves (a handler given `{ params, body }`). */
const INPUT_PARAMETERS = new Set(['params', 'query', 'body', 'input', 'userInput', 'payload', 'searchParams']);

/** Calls whose result no longer carries the input's danger for any sink here. */
const SANITIZERS = new Set(['Number', 'parseInt', 'parseFloat', 'Boolean', 'isInteger', 'isSafeInteger']);

/**
 * Functions whose result carries their arguments: paths, decoding, formatting, copying. The result of
 * any other function (`fetch(url)`, `lookup(id)`) is not the request's, as far as these rules go.
 */
const PROPAGATORS = new Set([
  'join', 'resolve', 'normalize', 'decodeURIComponent', 'decodeURI', 'unescape', 'String', 'parse', 'entries',
  'keys', 'values', 'from', 'format', 'concat', 'assign', 'structuredClone', 'fromEntries', 'toString',
]);

/**
 * True when the expression's value (in part) comes from the sender of the request: `req.query.x`,
 * `request.params.id`, `request.body`, a handler parameter named `params`/`query`/`body`, a variable
 * of the same function assigned from one, or a template, concatenation or call built from one.
 * Intra-procedural: a value passed into another function, or returned from one, is not followed.
 */
export function isRequestDerived(context: Context, node: Node, seen = new Set<Node>()): boolean {
  if (seen.has(node) || seen.size > 64) return false;
  seen.add(node);
  const again = (child: Node): boolean => isRequestDerived(context, child, seen);
  const n = unwrap(node);
  switch (n.type) {
    case 'MemberExpression': {
      const path = memberPath(n);
      if (path !== undefined && isRequestInputPath(path)) return true;
      return again(n.object) || (n.computed && false);
    }
    case 'Identifier':
      return identifierFromRequest(context, n, seen);
    case 'TemplateLiteral':
      return n.expressions.some(again);
    case 'BinaryExpression':
      return n.left.type !== 'PrivateIdentifier' && (again(n.left) || again(n.right));
    case 'LogicalExpression':
      return again(n.left) || again(n.right);
    case 'ConditionalExpression':
      return again(n.consequent) || again(n.alternate);
    case 'AwaitExpression':
      return again(n.argument);
    case 'ChainExpression':
      return again(n.expression);
    case 'CallExpression': {
      const name = calleeName(n);
      if (name === undefined || SANITIZERS.has(name)) return false;
      const callee = unwrap(n.callee);
      // `input.trim()`, `path.join(root, input)`, `decodeURIComponent(input)`: the result is still input
      if (callee.type === 'MemberExpression' && again(callee.object)) return true;
      return PROPAGATORS.has(name) && n.arguments.some((a) => a.type !== 'SpreadElement' && again(a));
    }
    case 'NewExpression':
      return calleeName(n) === 'URL' && n.arguments.some((a) => a.type !== 'SpreadElement' && again(a));
    case 'ObjectExpression':
      return n.properties.some((p) =>
        p.type === 'SpreadElement' ? again(p.argument) : p.value.type !== 'AssignmentPattern' && again(p.value),
      );
    case 'ArrayExpression':
      return n.elements.some((e) => e !== null && again(e.type === 'SpreadElement' ? e.argument : e));
    default:
      return false;
  }
}

function isRequestInputPath(path: readonly string[]): boolean {
  const [root, first] = path;
  if (root === undefined) return false;
  if (REQUEST_NAMES.has(root)) {
    if (first === undefined) return false;
    if (REQUEST_INPUT.has(first)) return true;
    // koa: ctx.request.body, ctx.query
    return first === 'request' && path[2] !== undefined && REQUEST_INPUT.has(path[2]);
  }
  return false;
}

function identifierFromRequest(context: Context, node: TSESTree.Identifier, seen: Set<Node>): boolean {
  const variable = findVariable(context, node);
  if (variable === undefined) return false;
  for (const definition of variable.defs) {
    if (definition.type === 'Parameter') {
      if (INPUT_PARAMETERS.has(node.name)) return true;
      continue;
    }
    if (definition.type !== 'Variable') continue;
    const declarator = definition.node;
    if (declarator.init === null) continue;
    if (declarator.id.type === 'Identifier') {
      if (isRequestDerived(context, declarator.init, seen)) return true;
    } else if (destructuredFromRequest(context, declarator.init, node.name, seen)) {
      return true;
    }
  }
  // `let target; … target = req.query.next;`
  for (const reference of variable.references) {
    const written = reference.writeExpr;
    if (written !== null && written !== undefined && reference.isWrite() && written !== node) {
      if (definitionInit(variable) !== written && isRequestDerived(context, written, seen)) return true;
    }
  }
  return false;
}

function definitionInit(variable: Variable): Node | undefined {
  const definition = variable.defs[0];
  return definition?.type === 'Variable' ? (definition.node.init ?? undefined) : undefined;
}

/** `const { id } = req.params` (input), `const { body } = request` (input), `const { principal } = request` (not). */
function destructuredFromRequest(context: Context, init: Node, name: string, seen: Set<Node>): boolean {
  const n = unwrap(init);
  const path = memberPath(n);
  if (path?.length === 1 && REQUEST_NAMES.has(path[0] ?? '')) return REQUEST_INPUT.has(name);
  return isRequestDerived(context, n, seen);
}

/** A node's parent; `undefined` above the program (whose `parent` the parser sets to `null`). */
export function parentOf(node: Node): Node | undefined {
  return (node.parent as Node | null | undefined) ?? undefined;
}

/** The innermost function around a node (or the program). */
export function enclosingFunction(node: Node): Node {
  let current: Node | undefined = parentOf(node);
  while (current !== undefined) {
    if (
      current.type === 'FunctionDeclaration' ||
      current.type === 'FunctionExpression' ||
      current.type === 'ArrowFunctionExpression' ||
      current.type === 'Program'
    ) {
      return current;
    }
    current = parentOf(current);
  }
  return node;
}

/** Every node under `root` (depth first), for the small per-function searches the rules make. */
export function* descendants(root: Node): Generator<Node> {
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === undefined) break;
    yield node;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'parent') continue;
      if (Array.isArray(value)) {
        for (const item of value as unknown[]) if (isNode(item)) stack.push(item);
      } else if (isNode(value)) {
        stack.push(value);
      }
    }
  }
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

const GUARD_CALLS = new Set([
  'startsWith',
  'endsWith',
  'includes',
  'has',
  'test',
  'match',
  'relative',
  'isAbsolute',
  'hasOwn',
  'hasOwnProperty',
  'isSafePath',
  'isInside',
  'isAllowed',
  'safeJoin',
]);

/**
 * True when the function around `node` tests `name` before using it: a condition (`if`, `?:`,
 * `&&`, `||`, `assert`) that calls `startsWith`/`includes`/`has`/`relative`/… on it or with it, or
 * compares it (or its `.origin`/`.host`) with `===`/`!==`. A check written in another function is
 * not seen.
 */
export function isGuarded(node: Node, name: string): boolean {
  const fn = enclosingFunction(node);
  for (const candidate of descendants(fn)) {
    let test: Node | undefined;
    if (candidate.type === 'IfStatement' || candidate.type === 'ConditionalExpression') test = candidate.test;
    else if (candidate.type === 'LogicalExpression') test = candidate.left;
    else if (candidate.type === 'CallExpression' && /^(assert|ok|invariant)$/u.test(calleeName(candidate) ?? ''))
      test = candidate.arguments[0];
    if (test === undefined) continue;
    for (const part of descendants(test)) {
      if (part.type === 'CallExpression' && GUARD_CALLS.has(calleeName(part) ?? '') && mentions(part, name)) {
        return true;
      }
      if (
        part.type === 'BinaryExpression' &&
        ['===', '!==', '==', '!='].includes(part.operator) &&
        (mentions(part.left, name) || mentions(part.right, name))
      ) {
        return true;
      }
    }
  }
  return false;
}

/** True when `name` appears as an identifier in the subtree. */
export function mentions(root: Node, name: string): boolean {
  for (const node of descendants(root)) if (node.type === 'Identifier' && node.name === name) return true;
  return false;
}

/**
 * The names that say what a value is for: the variable, property or parameter it is assigned to,
 * and the enclosing functions' names (`function newSessionToken() { … Math.random() … }`).
 */
export function purposeNames(node: Node): string[] {
  const names: string[] = [];
  let current: Node | undefined = node;
  let steps = 0;
  while (current !== undefined && steps < 12) {
    const parent = parentOf(current);
    if (parent === undefined) break;
    steps += 1;
    if (parent.type === 'VariableDeclarator' && parent.id.type === 'Identifier') names.push(parent.id.name);
    else if (parent.type === 'Property' && parent.value === current) {
      const key = parent.key.type === 'Identifier' ? parent.key.name : stringValue(parent.key);
      if (key !== undefined) names.push(key);
    } else if (parent.type === 'AssignmentExpression') {
      const target = lastName(parent.left);
      if (target !== undefined) names.push(target);
    } else if (parent.type === 'PropertyDefinition' && parent.key.type === 'Identifier') {
      names.push(parent.key.name);
    } else if (parent.type === 'FunctionDeclaration' || parent.type === 'FunctionExpression') {
      if (parent.id !== null) names.push(parent.id.name);
      if (parent.parent.type === 'MethodDefinition' && parent.parent.key.type === 'Identifier')
        names.push(parent.parent.key.name);
    } else if (parent.type === 'ArrowFunctionExpression' && parent.parent.type === 'VariableDeclarator') {
      if (parent.parent.id.type === 'Identifier') names.push(parent.parent.id.name);
    } else if (parent.type === 'ReturnStatement' || parent.type === 'BlockStatement') {
      // keep climbing to the function's name
    } else if (
      parent.type !== 'BinaryExpression' &&
      parent.type !== 'CallExpression' &&
      parent.type !== 'MemberExpression' &&
      parent.type !== 'TemplateLiteral' &&
      parent.type !== 'ArrowFunctionExpression' &&
      parent.type !== 'FunctionExpression'
    ) {
      break;
    }
    current = parent;
  }
  return names;
}

/** The module a binding was imported or required from: `import { exec } from 'node:child_process'` → `child_process`. */
export function importedFrom(context: Context, node: TSESTree.Identifier): string | undefined {
  const definition = findVariable(context, node)?.defs[0];
  if (definition === undefined) return undefined;
  if (definition.type === 'ImportBinding') {
    const declaration = definition.parent;
    if (declaration.type === 'ImportDeclaration') return declaration.source.value.replace(/^node:/u, '');
    return undefined;
  }
  if (definition.type === 'Variable' && definition.node.init !== null) {
    const init = unwrap(definition.node.init);
    const call = init.type === 'AwaitExpression' ? unwrap(init.argument) : init;
    const source =
      call.type === 'CallExpression' && calleeName(call) === 'require'
        ? stringValue(call.arguments[0])
        : call.type === 'ImportExpression'
          ? stringValue(call.source)
          : undefined;
    return source?.replace(/^node:/u, '');
  }
  return undefined;
}

/**
 * The module a called function comes from: `exec(…)` with `exec` imported from `child_process`, or
 * `cp.exec(…)` with `cp` its namespace, or `require('child_process').exec(…)`.
 */
export function calleeModule(context: Context, call: TSESTree.CallExpression | TSESTree.NewExpression): string | undefined {
  const callee = unwrap(call.callee);
  if (callee.type === 'Identifier') return importedFrom(context, callee);
  if (callee.type === 'MemberExpression') {
    const object = unwrap(callee.object);
    if (object.type === 'Identifier') return importedFrom(context, object);
    if (object.type === 'CallExpression' && calleeName(object) === 'require') {
      return stringValue(object.arguments[0])?.replace(/^node:/u, '');
    }
    // fs.promises.readFile
    if (object.type === 'MemberExpression' && propertyName(object) === 'promises') {
      const root = unwrap(object.object);
      if (root.type === 'Identifier') return importedFrom(context, root);
    }
  }
  return undefined;
}

/** The source text of a node, on one line and shortened, for messages. */
export function snippet(context: Context, node: Node, max = 60): string {
  const text = context.sourceCode.getText(node).replace(/\s+/gu, ' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
