import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import {
  calleeName,
  isGuarded,
  isRequestDerived,
  lastName,
  snippet,
  stringValue,
  unwrap,
  type Context,
  type Node,
} from './analysis.ts';
import { defineCodeRule } from './define-rule.ts';

/** A template starting with `/x`: a path on this site, whatever follows (`/orders/${id}`). */
function isLocalPath(node: Node): boolean {
  const n = unwrap(node);
  if (n.type !== AST_NODE_TYPES.TemplateLiteral) return false;
  const head = n.quasis[0]?.value.cooked ?? '';
  return /^\/[^/\\]/u.test(head);
}

function tainted(context: Context, node: Node): boolean {
  if (isLocalPath(node) || !isRequestDerived(context, node)) return false;
  const n = unwrap(node);
  const name = n.type === AST_NODE_TYPES.Identifier ? n.name : lastName(n);
  return name === undefined || !isGuarded(node, name);
}

function locationValue(object: TSESTree.ObjectExpression): Node | undefined {
  for (const property of object.properties) {
    if (property.type !== AST_NODE_TYPES.Property) continue;
    const key =
      property.key.type === AST_NODE_TYPES.Identifier ? property.key.name : stringValue(property.key);
    if (key?.toLowerCase() === 'location') return property.value;
  }
  return undefined;
}

/**
 * `code/open-redirect`: `redirect(…)`, a `Location` header or `writeHead(3xx, { Location })` with a
 * target from the request, not a local path and not checked in the same function.
 */
export const openRedirect = defineCodeRule('redirects to a request-derived target', (context, report) => ({
  CallExpression(node) {
    const name = calleeName(node);
    if (node.callee.type !== AST_NODE_TYPES.MemberExpression || name === undefined) return;
    const args = node.arguments.filter(
      (a): a is TSESTree.Expression => a.type !== AST_NODE_TYPES.SpreadElement,
    );
    let target: Node | undefined;
    if (name === 'redirect') {
      target = args.find(
        (a) =>
          !(
            unwrap(a).type === AST_NODE_TYPES.Literal &&
            typeof (unwrap(a) as TSESTree.Literal).value === 'number'
          ),
      );
    } else if (['header', 'setHeader', 'set', 'append'].includes(name) && args.length >= 2) {
      if (stringValue(args[0])?.toLowerCase() === 'location') target = args[1];
    } else if (name === 'writeHead' || name === 'headers') {
      const object = args
        .map(unwrap)
        .find((a): a is TSESTree.ObjectExpression => a.type === AST_NODE_TYPES.ObjectExpression);
      if (object !== undefined) target = locationValue(object);
    }
    if (target !== undefined && tainted(context, target)) {
      report(node, `redirects to a target from the request: \`${snippet(context, target)}\``);
    }
  },
}));
