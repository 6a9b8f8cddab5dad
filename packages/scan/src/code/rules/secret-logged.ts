import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import {
  calleeName,
  lastName,
  memberPath,
  snippet,
  stringValue,
  unwrap,
  words,
  type Context,
  type Node,
} from './analysis.ts';
import { defineCodeRule } from './define-rule.ts';

const LEVELS = new Set(['log', 'info', 'warn', 'error', 'debug', 'trace', 'fatal', 'dir']);
const LOGGERS = new Set(['log', 'logger', 'console']);
/** A name ending in one of these words holds a secret… */
const SECRET_WORDS = new Set([
  'token',
  'tokens',
  'password',
  'passwd',
  'passphrase',
  'secret',
  'secrets',
  'credential',
  'credentials',
  'authorization',
  'cookie',
  'cookies',
  'jwt',
  'bearer',
  'apikey',
  'pwd',
]);
/** …and one ending in `key` does when the word before is one of these. */
const SECRET_KEYS = new Set([
  'private',
  'api',
  'secret',
  'signing',
  'access',
  'encryption',
  'hmac',
  'master',
  'session',
  'client',
]);

/** `accessToken`, `req.headers.authorization`, `DB_PASSWORD`, `privateKey` — not `tokenId`, `passwordPolicy`. */
export function isSecretName(name: string): boolean {
  const w = words(name);
  const last = w.at(-1);
  if (last === undefined) return false;
  if (SECRET_WORDS.has(last)) return true;
  return last === 'key' && SECRET_KEYS.has(w.at(-2) ?? '');
}

function secretExpression(node: Node): Node | undefined {
  const n = unwrap(node);
  if (n.type === AST_NODE_TYPES.Identifier || n.type === AST_NODE_TYPES.MemberExpression) {
    const name = lastName(n);
    return name !== undefined && isSecretName(name) ? n : undefined;
  }
  if (n.type === AST_NODE_TYPES.TemplateLiteral) {
    for (const e of n.expressions) {
      const found = secretExpression(e);
      if (found !== undefined) return found;
    }
  }
  if (n.type === AST_NODE_TYPES.BinaryExpression && n.operator === '+') {
    return secretExpression(n.left) ?? secretExpression(n.right);
  }
  return undefined;
}

/** A property of a logged object holding a secret (`{ token }`, `{ auth: req.headers.authorization }`), or the whole headers. */
function secretProperty(node: Node): Node | undefined {
  const n = unwrap(node);
  if (n.type === AST_NODE_TYPES.MemberExpression && propertyIs(n, 'headers')) return n;
  if (n.type !== AST_NODE_TYPES.ObjectExpression) return undefined;
  for (const property of n.properties) {
    if (property.type !== AST_NODE_TYPES.Property) continue;
    const found =
      secretExpression(property.value) ??
      (property.value.type === AST_NODE_TYPES.MemberExpression && propertyIs(property.value, 'headers')
        ? property.value
        : undefined);
    if (found !== undefined) return found;
  }
  return undefined;
}

function propertyIs(member: TSESTree.MemberExpression, name: string): boolean {
  return lastName(member) === name && (memberPath(member)?.length ?? 0) >= 2;
}

function isLogCall(call: TSESTree.CallExpression): { console: boolean } | undefined {
  const callee = unwrap(call.callee);
  if (callee.type !== AST_NODE_TYPES.MemberExpression) return undefined;
  const level = calleeName(call);
  if (level === undefined || !LEVELS.has(level)) return undefined;
  const owner = lastName(callee.object);
  if (owner === undefined || !LOGGERS.has(owner)) return undefined;
  return { console: owner === 'console' };
}

/**
 * `code/secret-logged`: a log call given a token, password, secret or authorization header — as an
 * argument or inside a message; to `console`, also as a property of a logged object (the SDK's
 * logger masks such keys, the console does not).
 */
export const secretLogged = defineCodeRule(
  'secrets and tokens written to logs',
  (context: Context, report) => ({
    CallExpression(node) {
      const log = isLogCall(node);
      if (log === undefined) return;
      for (const argument of node.arguments) {
        if (argument.type === AST_NODE_TYPES.SpreadElement) continue;
        if (stringValue(argument) !== undefined) continue;
        const found = secretExpression(argument) ?? (log.console ? secretProperty(argument) : undefined);
        if (found !== undefined) {
          report(node, `logs \`${snippet(context, found)}\``);
          return;
        }
      }
    },
  }),
);
