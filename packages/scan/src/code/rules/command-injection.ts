import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import {
  calleeModule,
  calleeName,
  isRequestDerived,
  isStatic,
  snippet,
  unwrap,
  type Context,
} from './analysis.ts';
import { defineCodeRule } from './define-rule.ts';

/** Run their first argument through `/bin/sh -c`. */
const SHELL_CALLS = new Set(['exec', 'execSync']);
/** Run a program directly, unless given `shell: true`. */
const PROGRAM_CALLS = new Set(['spawn', 'spawnSync', 'execFile', 'execFileSync', 'fork']);

function hasShellOption(call: TSESTree.CallExpression): boolean {
  return call.arguments.some((argument) => {
    const options = unwrap(argument);
    if (options.type !== AST_NODE_TYPES.ObjectExpression) return false;
    return options.properties.some(
      (p) =>
        p.type === AST_NODE_TYPES.Property &&
        p.key.type === AST_NODE_TYPES.Identifier &&
        p.key.name === 'shell' &&
        !(p.value.type === AST_NODE_TYPES.Literal && (p.value.value === false || p.value.value === null)),
    );
  });
}

function dynamicInput(context: Context, call: TSESTree.CallExpression): TSESTree.Node | undefined {
  for (const argument of call.arguments) {
    const a = unwrap(argument);
    if (
      a.type === AST_NODE_TYPES.ObjectExpression ||
      a.type === AST_NODE_TYPES.ArrowFunctionExpression ||
      a.type === AST_NODE_TYPES.FunctionExpression
    )
      continue;
    if (a.type === AST_NODE_TYPES.ArrayExpression) {
      const element = a.elements.find((e) => e !== null && !isStatic(context, e));
      if (element !== undefined && element !== null) return element;
      continue;
    }
    if (!isStatic(context, a)) return a;
  }
  return undefined;
}

/** `code/command-injection`: `child_process` running a shell over a value built at run time. */
export const commandInjection = defineCodeRule(
  'child_process exec, or spawn with shell: true, over a non-literal command',
  (context, report) => ({
    CallExpression(node) {
      const name = calleeName(node);
      if (name === undefined || calleeModule(context, node) !== 'child_process') return;
      const first = node.arguments[0];
      if (first === undefined) return;
      let input: TSESTree.Node | undefined;
      if (SHELL_CALLS.has(name)) input = isStatic(context, first) ? undefined : first;
      else if (PROGRAM_CALLS.has(name) && hasShellOption(node)) input = dynamicInput(context, node);
      if (input === undefined) return;
      const how = SHELL_CALLS.has(name) ? `\`${name}\`` : `\`${name}\` with \`shell: true\``;
      if (isRequestDerived(context, input)) {
        report(node, `${how} runs a shell over request input \`${snippet(context, input)}\``, 'critical');
      } else {
        report(node, `${how} runs a shell over \`${snippet(context, input)}\`, built at run time`);
      }
    },
  }),
);
