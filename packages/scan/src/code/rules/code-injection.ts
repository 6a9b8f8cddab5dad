import { AST_NODE_TYPES } from '@typescript-eslint/utils';
import { calleeModule, calleeName, isRequestDerived, isStatic, snippet, unwrap } from './analysis.ts';
import { defineCodeRule } from './define-rule.ts';

/** `vm` functions that compile and run their first argument. */
const VM_CALLS = new Set([
  'runInThisContext',
  'runInNewContext',
  'runInContext',
  'compileFunction',
  'Script',
]);

/** `code/code-injection`: `eval`, `new Function`, `vm.runIn*` or string timers over a non-literal. */
export const codeInjection = defineCodeRule(
  'eval, Function, vm and string timers over code built at run time',
  (context, report) => {
    const check = (
      node: Parameters<typeof calleeName>[0],
      what: string,
      code: (typeof node.arguments)[number] | undefined,
    ): void => {
      if (code === undefined || code.type === AST_NODE_TYPES.SpreadElement || isStatic(context, code)) return;
      const tainted = isRequestDerived(context, code);
      report(
        node,
        `${what} compiles ${tainted ? 'request input' : 'a value built at run time'}: \`${snippet(context, code)}\``,
        tainted ? 'critical' : undefined,
      );
    };
    return {
      'CallExpression, NewExpression'(node: Parameters<typeof calleeName>[0]) {
        const callee = unwrap(node.callee);
        const name = calleeName(node);
        if (callee.type === AST_NODE_TYPES.Identifier && name === 'eval') {
          check(node, '`eval`', node.arguments[0]);
          return;
        }
        if (
          name === 'Function' &&
          (callee.type === AST_NODE_TYPES.Identifier || callee.type === AST_NODE_TYPES.MemberExpression)
        ) {
          const body = node.arguments.at(-1);
          {
            check(node, '`Function`', body);
            return;
          }
        }
        if (name !== undefined && VM_CALLS.has(name) && calleeModule(context, node) === 'vm') {
          {
            check(node, `\`vm.${name}\``, node.arguments[0]);
            return;
          }
        }
        if ((name === 'setTimeout' || name === 'setInterval') && callee.type === AST_NODE_TYPES.Identifier) {
          const first = node.arguments[0];
          const f = first === undefined ? undefined : unwrap(first);
          if (
            f?.type === AST_NODE_TYPES.TemplateLiteral ||
            (f?.type === AST_NODE_TYPES.BinaryExpression && f.operator === '+')
          )
            check(node, `\`${name}\` with a string`, first);
        }
        return undefined;
      },
    };
  },
);
