import { calleeModule, calleeName, isRequestDerived, isStatic, snippet, unwrap } from './analysis.ts';
import { defineCodeRule } from './define-rule.ts';

/** `vm` functions that compile and run their first argument. */
const VM_CALLS = new Set(['runInThisContext', 'runInNewContext', 'runInContext', 'compileFunction', 'Script']);

/** `code/code-injection`: `eval`, `new Function`, `vm.runIn*` or string timers over a non-literal. */
export const codeInjection = defineCodeRule(
  'eval, Function, vm and string timers over code built at run time',
  (context, report) => {
    const check = (
      node: Parameters<typeof calleeName>[0],
      what: string,
      code: (typeof node.arguments)[number] | undefined,
    ): void => {
      if (code === undefined || code.type === 'SpreadElement' || isStatic(context, code)) return;
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
        if (callee.type === 'Identifier' && name === 'eval') return check(node, '`eval`', node.arguments[0]);
        if (name === 'Function' && (callee.type === 'Identifier' || callee.type === 'MemberExpression')) {
          const body = node.arguments.at(-1);
          return check(node, '`Function`', body);
        }
        if (name !== undefined && VM_CALLS.has(name) && calleeModule(context, node) === 'vm') {
          return check(node, `\`vm.${name}\``, node.arguments[0]);
        }
        if ((name === 'setTimeout' || name === 'setInterval') && callee.type === 'Identifier') {
          const first = node.arguments[0];
          const f = first === undefined ? undefined : unwrap(first);
          if (f?.type === 'TemplateLiteral' || (f?.type === 'BinaryExpression' && f.operator === '+'))
            check(node, `\`${name}\` with a string`, first);
        }
        return undefined;
      },
    };
  },
);
