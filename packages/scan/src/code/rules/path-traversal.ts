import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import {
  calleeModule,
  calleeName,
  isGuarded,
  isRequestDerived,
  lastName,
  snippet,
  unwrap,
  type Context,
  type Node,
} from './analysis.ts';
import { defineCodeRule } from './define-rule.ts';

const FS_MODULES = new Set(['fs', 'fs/promises', 'fs-extra', 'graceful-fs']);
/** fs functions whose first two arguments are both paths. */
const TWO_PATHS = new Set([
  'copyFile',
  'copyFileSync',
  'rename',
  'renameSync',
  'symlink',
  'symlinkSync',
  'link',
  'linkSync',
  'cp',
  'cpSync',
]);
/** Responders that send a file from disk, whatever the framework. */
const SEND_FILE = new Set(['sendFile', 'download']);

/** Calls that keep only the last name of a path: the result cannot climb out of a directory. */
function isBasename(node: Node): boolean {
  const n = unwrap(node);
  return n.type === AST_NODE_TYPES.CallExpression && calleeName(n) === 'basename';
}

/** The variable a path argument is held in (to look for a containment check on it), if it is one. */
function guardName(node: Node): string | undefined {
  const n = unwrap(node);
  return n.type === AST_NODE_TYPES.Identifier ? n.name : lastName(n);
}

function pathArguments(name: string, call: TSESTree.CallExpression): Node[] {
  const count = TWO_PATHS.has(name) ? 2 : 1;
  return call.arguments.slice(0, count).filter((a) => a.type !== AST_NODE_TYPES.SpreadElement);
}

function isFsCall(context: Context, call: TSESTree.CallExpression, name: string): boolean {
  if (SEND_FILE.has(name)) return call.callee.type === AST_NODE_TYPES.MemberExpression;
  const module = calleeModule(context, call);
  return module !== undefined && FS_MODULES.has(module);
}

/**
 * `code/path-traversal`: an `fs` call (or `sendFile`) on a path that comes from the request in the
 * same function, with no `basename` and no containment check (`startsWith`, `relative`) on it there.
 */
export const pathTraversal = defineCodeRule(
  'fs calls on request-derived paths without a containment check',
  (context, report) => ({
    CallExpression(node) {
      const name = calleeName(node);
      if (name === undefined || !isFsCall(context, node, name)) return;
      for (const path of pathArguments(name, node)) {
        if (isBasename(path) || !isRequestDerived(context, path)) continue;
        const held = guardName(path);
        if (held !== undefined && isGuarded(node, held)) continue;
        report(node, `\`${name}\` on a path from the request: \`${snippet(context, path)}\``);
        return;
      }
    },
  }),
);
