import { AST_NODE_TYPES, TSESLint, type TSESTree } from '@typescript-eslint/utils';

const { DefinitionType } = TSESLint.Scope;
// What the code rules share: constant folding, name words, and the intra-procedural "does this value
// come from the request" question. Everything here looks at one function at a time (a variable is
// followed to its declaration in the same file, never into another function or module).

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
  if (definition?.type !== DefinitionType.Variable) return undefined;
  const declarator = definition.node;
  if (declarator.id.type !== AST_NODE_TYPES.Identifier || declarator.init === null) return undefined;
  return declarator.parent.kind === 'const' ? declarator.init : undefined;
}

/** Unwraps `x as T`, `x!`, `<T>x`, `x satisfies T` and parentheses. */
export function unwrap(node: Node): Node {
  let current = node;
  while (
    current.type === AST_NODE_TYPES.TSAsExpression ||
    current.type === AST_NODE_TYPES.TSNonNullExpression ||
    current.type === AST_NODE_TYPES.TSTypeAssertion ||
    current.type === AST_NODE_TYPES.TSSatisfiesExpression
  ) {
    current = current.expression;
  }
  return current;
}

/** The value of a string literal, or of a template literal without interpolation. */
export function stringValue(node: Node | undefined): string | undefined {
  if (node === undefined) return undefined;
  const n = unwrap(node);
  if (n.type === AST_NODE_TYPES.Literal && typeof n.value === 'string') return n.value;
  if (n.type === AST_NODE_TYPES.TemplateLiteral && n.expressions.length === 0)
    return n.quasis[0]?.value.cooked ?? undefined;
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
  // eslint-disable-next-line @typescript-eslint/switch-exhaustiveness-check -- any other node is not static
  switch (n.type) {
    case AST_NODE_TYPES.Literal:
      return true;
    case AST_NODE_TYPES.TemplateLiteral:
      return n.expressions.every(again);
    case AST_NODE_TYPES.BinaryExpression:
      return n.left.type !== AST_NODE_TYPES.PrivateIdentifier && again(n.left) && again(n.right);
    case AST_NODE_TYPES.UnaryExpression:
      return n.operator === 'typeof' || again(n.argument);
    case AST_NODE_TYPES.ConditionalExpression:
      return again(n.consequent) && again(n.alternate);
    case AST_NODE_TYPES.LogicalExpression:
      return again(n.left) && again(n.right);
    case AST_NODE_TYPES.ArrayExpression:
      return n.elements.every((e) => e !== null && e.type !== AST_NODE_TYPES.SpreadElement && again(e));
    case AST_NODE_TYPES.Identifier: {
      if (n.name === 'undefined' || isConstantName(n.name)) return true;
      const init = constInitializer(context, n);
      return init !== undefined && again(init);
    }
    case AST_NODE_TYPES.MemberExpression:
      if (!n.computed && n.property.type === AST_NODE_TYPES.Identifier && n.property.name === 'length')
        return true;
      return (
        (n.object.type === AST_NODE_TYPES.Identifier && isConstantName(n.object.name)) ||
        (!n.computed && n.property.type === AST_NODE_TYPES.Identifier && isConstantName(n.property.name)) ||
        (again(n.object) && (!n.computed || again(n.property)))
      );
    case AST_NODE_TYPES.CallExpression: {
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
  if (callee.type === AST_NODE_TYPES.Identifier) return callee.name;
  if (callee.type === AST_NODE_TYPES.MemberExpression) return propertyName(callee);
  return undefined;
}

/** The name of a member's property when it is written out: `a.b` and `a['b']` → `b`. */
export function propertyName(member: TSESTree.MemberExpression): string | undefined {
  if (!member.computed && member.property.type === AST_NODE_TYPES.Identifier) return member.property.name;
  return stringValue(member.property);
}

/** The object a method is called on, as source text (`svc.store.run` → `svc.store`). */
export function calleeObject(call: TSESTree.CallExpression): Node | undefined {
  const callee = unwrap(call.callee);
  return callee.type === AST_NODE_TYPES.MemberExpression ? callee.object : undefined;
}

/** The last name of an identifier or member chain: `req.headers.authorization` → `authorization`. */
export function lastName(node: Node): string | undefined {
  const n = unwrap(node);
  if (n.type === AST_NODE_TYPES.Identifier) return n.name;
  if (n.type === AST_NODE_TYPES.MemberExpression) return propertyName(n);
  return undefined;
}

/** The names of a member chain from its root: `req.query.next` → `['req', 'query', 'next']`. */
export function memberPath(node: Node): string[] | undefined {
  const n = unwrap(node);
  if (n.type === AST_NODE_TYPES.Identifier) return [n.name];
  if (n.type === AST_NODE_TYPES.ThisExpression) return ['this'];
  if (n.type === AST_NODE_TYPES.MemberExpression) {
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
const INPUT_PARAMETERS = new Set([
  'params',
  'query',
  'body',
  'input',
  'userInput',
  'payload',
  'searchParams',
]);

/** Calls whose result no longer carries the input's danger for any sink here. */
const SANITIZERS = new Set(['Number', 'parseInt', 'parseFloat', 'Boolean', 'isInteger', 'isSafeInteger']);

/**
 * Functions whose result carries their arguments: paths, decoding, formatting, copying. The result of
 * any other function (`fetch(url)`, `lookup(id)`) is not the request's, as far as these rules go.
 */
const PROPAGATORS = new Set([
  'join',
  'resolve',
  'normalize',
  'decodeURIComponent',
  'decodeURI',
  'unescape',
  'String',
  'parse',
  'entries',
  'keys',
  'values',
  'from',
  'format',
  'concat',
  'assign',
  'structuredClone',
  'fromEntries',
  'toString',
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
  // eslint-disable-next-line @typescript-eslint/switch-exhaustiveness-check -- any other node carries no input
  switch (n.type) {
    case AST_NODE_TYPES.MemberExpression: {
      const path = memberPath(n);
      if (path !== undefined && isRequestInputPath(path)) return true;
      return again(n.object) || (n.computed && false);
    }
    case AST_NODE_TYPES.Identifier:
      return identifierFromRequest(context, n, seen);
    case AST_NODE_TYPES.TemplateLiteral:
      return n.expressions.some(again);
    case AST_NODE_TYPES.BinaryExpression:
      return n.left.type !== AST_NODE_TYPES.PrivateIdentifier && (again(n.left) || again(n.right));
    case AST_NODE_TYPES.LogicalExpression:
      return again(n.left) || again(n.right);
    case AST_NODE_TYPES.ConditionalExpression:
      return again(n.consequent) || again(n.alternate);
    case AST_NODE_TYPES.AwaitExpression:
      return again(n.argument);
    case AST_NODE_TYPES.ChainExpression:
      return again(n.expression);
    case AST_NODE_TYPES.CallExpression: {
      const name = calleeName(n);
      if (name === undefined || SANITIZERS.has(name)) return false;
      const callee = unwrap(n.callee);
      // `input.trim()`, `path.join(root, input)`, `decodeURIComponent(input)`: the result is still input
      if (callee.type === AST_NODE_TYPES.MemberExpression && again(callee.object)) return true;
      return (
        PROPAGATORS.has(name) && n.arguments.some((a) => a.type !== AST_NODE_TYPES.SpreadElement && again(a))
      );
    }
    case AST_NODE_TYPES.NewExpression:
      return (
        calleeName(n) === 'URL' &&
        n.arguments.some((a) => a.type !== AST_NODE_TYPES.SpreadElement && again(a))
      );
    case AST_NODE_TYPES.ObjectExpression:
      return n.properties.some((p) =>
        p.type === AST_NODE_TYPES.SpreadElement ? again(p.argument) : again(p.value),
      );
    case AST_NODE_TYPES.ArrayExpression:
      return n.elements.some(
        (e) => e !== null && again(e.type === AST_NODE_TYPES.SpreadElement ? e.argument : e),
      );
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
    if (definition.type === DefinitionType.Parameter) {
      if (INPUT_PARAMETERS.has(node.name)) return true;
      continue;
    }
    if (definition.type !== DefinitionType.Variable) continue;
    const declarator = definition.node;
    if (declarator.init === null) continue;
    if (declarator.id.type === AST_NODE_TYPES.Identifier) {
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
  return definition?.type === DefinitionType.Variable ? (definition.node.init ?? undefined) : undefined;
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
  const parent: unknown = Reflect.get(node, 'parent');
  return isNode(parent) ? parent : undefined;
}

/** The innermost function around a node (or the program). */
export function enclosingFunction(node: Node): Node {
  let current: Node | undefined = parentOf(node);
  while (current !== undefined) {
    if (
      current.type === AST_NODE_TYPES.FunctionDeclaration ||
      current.type === AST_NODE_TYPES.FunctionExpression ||
      current.type === AST_NODE_TYPES.ArrowFunctionExpression ||
      current.type === AST_NODE_TYPES.Program
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
  return (
    typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string'
  );
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
    if (
      candidate.type === AST_NODE_TYPES.IfStatement ||
      candidate.type === AST_NODE_TYPES.ConditionalExpression
    )
      test = candidate.test;
    else if (candidate.type === AST_NODE_TYPES.LogicalExpression) test = candidate.left;
    else if (
      candidate.type === AST_NODE_TYPES.CallExpression &&
      /^(assert|ok|invariant)$/u.test(calleeName(candidate) ?? '')
    )
      test = candidate.arguments[0];
    if (test === undefined) continue;
    for (const part of descendants(test)) {
      if (
        part.type === AST_NODE_TYPES.CallExpression &&
        GUARD_CALLS.has(calleeName(part) ?? '') &&
        mentions(part, name)
      ) {
        return true;
      }
      if (
        part.type === AST_NODE_TYPES.BinaryExpression &&
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
  for (const node of descendants(root))
    if (node.type === AST_NODE_TYPES.Identifier && node.name === name) return true;
  return false;
}

/**
 * The names that say what a value is for: the variable, property or parameter it is assigned to,
 * and the enclosing functions' names (`function newSessionToken() { … Math.random() … }`).
 */
export function purposeNames(node: Node): string[] {
  const names: string[] = [];
  let current: Node = node;
  for (let steps = 0; steps < 12; steps += 1) {
    const parent = parentOf(current);
    if (parent === undefined) break;
    if (parent.type === AST_NODE_TYPES.VariableDeclarator && parent.id.type === AST_NODE_TYPES.Identifier)
      names.push(parent.id.name);
    else if (parent.type === AST_NODE_TYPES.Property && parent.value === current) {
      const key = parent.key.type === AST_NODE_TYPES.Identifier ? parent.key.name : stringValue(parent.key);
      if (key !== undefined) names.push(key);
    } else if (parent.type === AST_NODE_TYPES.AssignmentExpression) {
      const target = lastName(parent.left);
      if (target !== undefined) names.push(target);
    } else if (
      parent.type === AST_NODE_TYPES.PropertyDefinition &&
      parent.key.type === AST_NODE_TYPES.Identifier
    ) {
      names.push(parent.key.name);
    } else if (
      parent.type === AST_NODE_TYPES.FunctionDeclaration ||
      parent.type === AST_NODE_TYPES.FunctionExpression
    ) {
      if (parent.id !== null) names.push(parent.id.name);
      if (
        parent.parent.type === AST_NODE_TYPES.MethodDefinition &&
        parent.parent.key.type === AST_NODE_TYPES.Identifier
      )
        names.push(parent.parent.key.name);
    } else if (
      parent.type === AST_NODE_TYPES.ArrowFunctionExpression &&
      parent.parent.type === AST_NODE_TYPES.VariableDeclarator
    ) {
      if (parent.parent.id.type === AST_NODE_TYPES.Identifier) names.push(parent.parent.id.name);
    } else if (
      parent.type === AST_NODE_TYPES.ReturnStatement ||
      parent.type === AST_NODE_TYPES.BlockStatement
    ) {
      // keep climbing to the function's name
    } else if (
      parent.type !== AST_NODE_TYPES.BinaryExpression &&
      parent.type !== AST_NODE_TYPES.CallExpression &&
      parent.type !== AST_NODE_TYPES.MemberExpression &&
      parent.type !== AST_NODE_TYPES.TemplateLiteral &&
      parent.type !== AST_NODE_TYPES.ArrowFunctionExpression
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
  if (definition.type === DefinitionType.ImportBinding) {
    const declaration = definition.parent;
    if (declaration.type === AST_NODE_TYPES.ImportDeclaration)
      return declaration.source.value.replace(/^node:/u, '');
    return undefined;
  }
  if (definition.type === DefinitionType.Variable && definition.node.init !== null) {
    const init = unwrap(definition.node.init);
    const call = init.type === AST_NODE_TYPES.AwaitExpression ? unwrap(init.argument) : init;
    const source =
      call.type === AST_NODE_TYPES.CallExpression && calleeName(call) === 'require'
        ? stringValue(call.arguments[0])
        : call.type === AST_NODE_TYPES.ImportExpression
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
export function calleeModule(
  context: Context,
  call: TSESTree.CallExpression | TSESTree.NewExpression,
): string | undefined {
  const callee = unwrap(call.callee);
  if (callee.type === AST_NODE_TYPES.Identifier) return importedFrom(context, callee);
  if (callee.type === AST_NODE_TYPES.MemberExpression) {
    const object = unwrap(callee.object);
    if (object.type === AST_NODE_TYPES.Identifier) return importedFrom(context, object);
    if (object.type === AST_NODE_TYPES.CallExpression && calleeName(object) === 'require') {
      return stringValue(object.arguments[0])?.replace(/^node:/u, '');
    }
    // fs.promises.readFile
    if (object.type === AST_NODE_TYPES.MemberExpression && propertyName(object) === 'promises') {
      const root = unwrap(object.object);
      if (root.type === AST_NODE_TYPES.Identifier) return importedFrom(context, root);
    }
  }
  return undefined;
}

/** The source text of a node, on one line and shortened, for messages. */
export function snippet(context: Context, node: Node, max = 60): string {
  const text = context.sourceCode.getText(node).replace(/\s+/gu, ' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
