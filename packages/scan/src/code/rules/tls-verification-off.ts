import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import { memberPath, propertyName, stringValue, unwrap, type Node } from './analysis.ts';
import { defineCodeRule } from './define-rule.ts';

const TLS_ENV = 'NODE_TLS_REJECT_UNAUTHORIZED';

function keyOf(property: TSESTree.Property): string | undefined {
  return property.key.type === AST_NODE_TYPES.Identifier ? property.key.name : stringValue(property.key);
}

function isFalse(node: Node): boolean {
  const n = unwrap(node);
  return n.type === AST_NODE_TYPES.Literal && (n.value === false || n.value === 0);
}

function isZero(node: Node): boolean {
  const n = unwrap(node);
  const value = n.type === AST_NODE_TYPES.Literal ? n.value : stringValue(n);
  return value === 0 || value === '0' || value === 'false';
}

/** `() => undefined`, `() => {}`, `function () { return; }`: accepts any certificate's names. */
function acceptsAnything(node: Node): boolean {
  const n = unwrap(node);
  if (n.type !== AST_NODE_TYPES.ArrowFunctionExpression && n.type !== AST_NODE_TYPES.FunctionExpression)
    return false;
  const body = n.body;
  if (body.type !== AST_NODE_TYPES.BlockStatement) {
    const b = unwrap(body);
    return (
      (b.type === AST_NODE_TYPES.Identifier && b.name === 'undefined') ||
      (b.type === AST_NODE_TYPES.Literal && b.value === null) ||
      (b.type === AST_NODE_TYPES.UnaryExpression && b.operator === 'void')
    );
  }
  return body.body.every(
    (s) =>
      s.type === AST_NODE_TYPES.ReturnStatement &&
      (s.argument === null || acceptsAnything({ ...n, body: s.argument } as Node)),
  );
}

function hasRequestCert(object: TSESTree.ObjectExpression): boolean {
  return object.properties.some((p) => p.type === AST_NODE_TYPES.Property && keyOf(p) === 'requestCert');
}

/** `code/tls-verification-off`: `rejectUnauthorized: false`, `NODE_TLS_REJECT_UNAUTHORIZED = '0'`, `checkServerIdentity: () => undefined`. */
export const tlsVerificationOff = defineCodeRule(
  'TLS certificate verification switched off',
  (_context, report) => ({
    Property(node) {
      const key = keyOf(node);
      if ((key === 'rejectUnauthorized' || key === 'strictSSL') && isFalse(node.value)) {
        if (node.parent.type === AST_NODE_TYPES.ObjectExpression && hasRequestCert(node.parent)) {
          report(
            node,
            '`rejectUnauthorized: false` next to `requestCert`: client certificates are asked for but not required',
            'medium',
          );
        } else {
          report(node, `\`${key}: false\` accepts any certificate`);
        }
      } else if (key === 'checkServerIdentity' && acceptsAnything(node.value)) {
        report(node, '`checkServerIdentity` accepts any name: any certificate from a trusted CA passes');
      } else if (key === TLS_ENV && isZero(node.value)) {
        report(node, `\`${TLS_ENV}: '0'\` in a child's environment switches off certificate checks in it`);
      }
    },
    AssignmentExpression(node) {
      const target = unwrap(node.left);
      if (target.type !== AST_NODE_TYPES.MemberExpression || propertyName(target) !== TLS_ENV) return;
      const path = memberPath(target.object)?.join('.');
      if (path === 'process.env' && isZero(node.right)) {
        report(node, `\`${TLS_ENV} = '0'\` switches off certificate checks for every request of the process`);
      }
    },
  }),
);
