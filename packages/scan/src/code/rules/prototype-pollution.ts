import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import {
  calleeName,
  constInitializer,
  isGuarded,
  isRequestDerived,
  memberPath,
  snippet,
  unwrap,
  type Context,
  type Node,
} from './analysis.ts';
import { defineCodeRule } from './define-rule.ts';

/** Deep merges and path setters: a `__proto__` key in the input reaches `Object.prototype`. */
const DEEP_MERGES = new Set([
  'merge',
  'mergeWith',
  'defaultsDeep',
  'deepMerge',
  'mergeDeep',
  'deepAssign',
  'deepExtend',
  'extend',
]);
const PATH_SETTERS = new Set(['set', 'setWith', 'setPath', 'dset']);
const LODASH = new Set(['_', 'lodash', 'dot', 'dotProp', 'objectPath']);

/** An object without a prototype (`Object.create(null)`) or a `Map`: a `__proto__` key is just a key. */
function isPrototypeless(context: Context, node: Node): boolean {
  const n = unwrap(node);
  const init = n.type === AST_NODE_TYPES.Identifier ? constInitializer(context, n) : undefined;
  const value = init === undefined ? n : unwrap(init);
  if (value.type === AST_NODE_TYPES.CallExpression) {
    const path = memberPath(value.callee)?.join('.');
    return (
      path === 'Object.create' &&
      value.arguments[0]?.type === AST_NODE_TYPES.Literal &&
      value.arguments[0].value === null
    );
  }
  return value.type === AST_NODE_TYPES.NewExpression && calleeName(value) === 'Map';
}

function keyName(node: Node): string | undefined {
  const n = unwrap(node);
  if (n.type === AST_NODE_TYPES.Identifier) return n.name;
  return memberPath(n)?.at(-1);
}

/**
 * `code/prototype-pollution`: `obj[key] = …` with a key from the request and no guard on it in the
 * same function; `Object.assign` of request input; deep merges and path setters fed request input.
 */
export const prototypePollution = defineCodeRule(
  'request-derived keys written into objects, and request input merged into objects',
  (context, report) => ({
    AssignmentExpression(node) {
      let left: Node = unwrap(node.left);
      while (left.type === AST_NODE_TYPES.MemberExpression) {
        if (left.computed) {
          const key = left.property;
          const name = keyName(key);
          if (
            unwrap(key).type !== AST_NODE_TYPES.Literal &&
            isRequestDerived(context, key) &&
            !isPrototypeless(context, left.object) &&
            (name === undefined || !isGuarded(node, name))
          ) {
            report(node, `writes a property named by the request: \`${snippet(context, left)}\``);
            return;
          }
        }
        left = unwrap(left.object);
      }
    },
    CallExpression(node: TSESTree.CallExpression) {
      const name = calleeName(node);
      if (name === undefined) return;
      const callee = unwrap(node.callee);
      const owner =
        callee.type === AST_NODE_TYPES.MemberExpression ? memberPath(callee.object)?.join('.') : undefined;
      const args = node.arguments.filter(
        (a): a is TSESTree.Expression => a.type !== AST_NODE_TYPES.SpreadElement,
      );
      if (name === 'assign' && owner === 'Object') {
        const [target, ...sources] = args;
        const source = sources.find(
          (s) => unwrap(s).type !== AST_NODE_TYPES.ObjectExpression && isRequestDerived(context, s),
        );
        if (target !== undefined && source !== undefined && !isPrototypeless(context, target)) {
          report(
            node,
            `\`Object.assign\` copies request input \`${snippet(context, source)}\` with its \`__proto__\` key`,
            'medium',
          );
        }
        return;
      }
      const deep = DEEP_MERGES.has(name);
      const setter = PATH_SETTERS.has(name) && owner !== undefined && LODASH.has(owner);
      if (!deep && !setter) return;
      const source = (setter ? args.slice(1, 2) : args.slice(1)).find((s) => isRequestDerived(context, s));
      if (source !== undefined) {
        report(
          node,
          `\`${name}\` ${setter ? 'sets a path' : 'deep-merges input'} from the request: \`${snippet(context, source)}\``,
        );
      }
    },
  }),
);
