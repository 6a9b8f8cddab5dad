import type { TSESLint, TSESTree } from '@typescript-eslint/utils';
import type { Severity } from '../../severity.ts';
import type { Context } from './analysis.ts';

/** The message ids of every code rule: `finding` at the rule's severity, or another one for this occurrence. */
export type CodeMessageId = 'finding' | Severity;

export type CodeRule = TSESLint.RuleModule<CodeMessageId>;

/** Reports `text` at `node`; `severity` when this occurrence differs from the rule's (e.g. `info`). */
export type Report = (node: TSESTree.Node, text: string, severity?: Severity) => void;

const MESSAGES: Record<CodeMessageId, string> = {
  finding: '{{text}}',
  critical: '{{text}}',
  high: '{{text}}',
  medium: '{{text}}',
  low: '{{text}}',
  info: '{{text}}',
};

/**
 * An ESLint rule of the `code` module. Its explanation (why, fix, CWE) lives in the rule registry
 * (`code-rules.ts`); the ESLint rule only says where, and what exactly.
 *
 * @example
 * export const codeInjection = defineCodeRule('Finds eval of non-literals', (context, report) => ({
 *   CallExpression(node) { if (…) report(node, '`eval` of a value built at run time'); },
 * }));
 */
export function defineCodeRule(
  description: string,
  create: (context: Context, report: Report) => TSESLint.RuleListener,
): CodeRule {
  return {
    meta: { type: 'problem', docs: { description }, messages: MESSAGES, schema: [], defaultOptions: [] },
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- typescript-eslint 8's RuleModule type still requires it
    defaultOptions: [],
    create(context) {
      const report: Report = (node, text, severity) => {
        context.report({ node, messageId: severity ?? 'finding', data: { text } });
      };
      return create(context, report);
    },
  };
}
