import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import { relative } from 'node:path';
import { calleeName, findVariable, importedFrom, stringValue, unwrap, type Context } from './analysis.ts';
import { defineCodeRule } from './define-rule.ts';

const SDK = '@rampart/sdk';

function importsSdk(context: Context): boolean {
  return context.sourceCode.ast.body.some(
    (s) => s.type === AST_NODE_TYPES.ImportDeclaration && s.source.value === SDK,
  );
}

/** Tests stand up routes and servers on purpose; these rules are about what a service deploys. */
export function isTestFile(filename: string): boolean {
  return /(?:^|\/)(?:test|tests|__tests__|e2e)\/|\.(?:test|spec)\.[cm]?[jt]sx?$/u.test(filename);
}

/** A file that builds a service: it imports `@rampart/sdk` and calls `createService` or `runService`. */
function buildsService(context: Context): boolean {
  if (!importsSdk(context)) return false;
  return /\b(?:createService|runService)\s*\(/u.test(context.sourceCode.text);
}

function property(object: TSESTree.ObjectExpression, name: string): TSESTree.Property | undefined {
  for (const p of object.properties) {
    if (p.type !== AST_NODE_TYPES.Property) continue;
    if ((p.key.type === AST_NODE_TYPES.Identifier ? p.key.name : stringValue(p.key)) === name) return p;
  }
  return undefined;
}

function routeLabel(object: TSESTree.ObjectExpression): string {
  const method = stringValue(property(object, 'method')?.value);
  const url = stringValue(property(object, 'url')?.value);
  return `${method ?? '?'} ${url ?? '?'}`;
}

/**
 * `code/rampart-route-without-scopes`: in a file using `@rampart/sdk`, `svc.publicRoute({ … })` (no
 * token at all) or `svc.route({ …, scopes: [] })` (any token of any client or user).
 */
export const rampartRouteWithoutScopes = defineCodeRule(
  'SDK routes that require no scope',
  (context, report) => {
    const sdk = importsSdk(context) && !isTestFile(relative(context.cwd, context.filename));
    return {
      CallExpression(node) {
        if (!sdk || node.callee.type !== AST_NODE_TYPES.MemberExpression) return;
        const name = calleeName(node);
        const first = node.arguments[0];
        if ((name !== 'route' && name !== 'publicRoute') || first === undefined) return;
        const definition = unwrap(first);
        if (
          definition.type !== AST_NODE_TYPES.ObjectExpression ||
          property(definition, 'handler') === undefined
        )
          return;
        if (name === 'publicRoute') {
          report(node, `\`publicRoute\` ${routeLabel(definition)}: anyone reaches it, without a token`);
          return;
        }
        const scopes = property(definition, 'scopes')?.value;
        if (
          scopes !== undefined &&
          unwrap(scopes).type === AST_NODE_TYPES.ArrayExpression &&
          (unwrap(scopes) as TSESTree.ArrayExpression).elements.length === 0
        ) {
          report(
            node,
            `\`route\` ${routeLabel(definition)} with \`scopes: []\`: any token of any caller passes`,
          );
        }
      },
    };
  },
);

/** Servers a service could open next to the SDK's mTLS listener. */
const SERVER_FACTORIES: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['fastify', new Set(['default', 'fastify', 'Fastify'])],
  ['express', new Set(['default', 'express'])],
  ['koa', new Set(['default', 'Koa'])],
  ['hono', new Set(['Hono'])],
  ['http', new Set(['createServer'])],
  ['https', new Set(['createServer'])],
  ['http2', new Set(['createServer', 'createSecureServer'])],
  ['net', new Set(['createServer'])],
]);

/**
 * `code/rampart-caller-check-bypass`: a file using `@rampart/sdk` that also creates its own HTTP
 * server (Fastify, Express, Koa, Hono, `http.createServer`…): whatever it serves skips the SDK's
 * mTLS, caller check and token verification.
 */
export const rampartCallerCheckBypass = defineCodeRule('servers opened beside the SDK', (context, report) => {
  const sdk = buildsService(context) && !isTestFile(relative(context.cwd, context.filename));
  const check = (node: TSESTree.CallExpression | TSESTree.NewExpression): void => {
    if (!sdk) return;
    const callee = unwrap(node.callee);
    let module: string | undefined;
    let name: string | undefined;
    if (callee.type === AST_NODE_TYPES.Identifier) {
      module = importedFrom(context, callee);
      const specifier = findVariable(context, callee)?.defs[0]?.node;
      if (
        specifier?.type === AST_NODE_TYPES.ImportSpecifier &&
        specifier.imported.type === AST_NODE_TYPES.Identifier
      )
        name = specifier.imported.name;
      else if (
        specifier?.type === AST_NODE_TYPES.ImportDefaultSpecifier ||
        specifier?.type === AST_NODE_TYPES.ImportNamespaceSpecifier
      )
        name = 'default';
      else name = callee.name;
    } else if (
      callee.type === AST_NODE_TYPES.MemberExpression &&
      callee.object.type === AST_NODE_TYPES.Identifier
    ) {
      module = importedFrom(context, callee.object);
      name = calleeName(node);
    }
    const names = module === undefined ? undefined : SERVER_FACTORIES.get(module);
    if (names !== undefined && name !== undefined && names.has(name)) {
      report(
        node,
        `a \`${module ?? ''}\` server beside \`@rampart/sdk\`: its routes skip mTLS, the caller check and the token`,
      );
    }
  };
  return { CallExpression: check, NewExpression: check };
});
