import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import {
  calleeName,
  lastName,
  memberPath,
  purposeNames,
  stringValue,
  unwrap,
  words,
  type Node,
} from './analysis.ts';
import { defineCodeRule } from './define-rule.ts';

/** `code/deprecated-create-cipher`: `crypto.createCipher`/`createDecipher` (key from a password by MD5, no IV). */
export const deprecatedCreateCipher = defineCodeRule(
  'crypto.createCipher and createDecipher',
  (_context, report) => ({
    CallExpression(node) {
      const name = calleeName(node);
      if (name === 'createCipher' || name === 'createDecipher') {
        report(node, `\`${name}\` derives the key with one MD5 and no salt, and uses no IV`);
      }
    },
  }),
);

/** Block modes and ciphers that leak or are broken: ECB, DES/3DES, RC2, RC4, Blowfish. */
const WEAK_CIPHER =
  /(?:^|-)ecb$|^(?:des|des3|des-ede3?|des-ede3?-cbc|des-cbc|rc2|rc2-cbc|rc4|rc4-40|bf|bf-cbc|blowfish|cast5?|idea)(?:-|$)/iu;

/** `code/weak-cipher`: `createCipheriv('aes-128-ecb', …)`, DES, RC4… */
export const weakCipher = defineCodeRule('ECB mode and broken ciphers', (_context, report) => ({
  CallExpression(node) {
    const name = calleeName(node);
    if (
      name !== 'createCipheriv' &&
      name !== 'createDecipheriv' &&
      name !== 'createCipher' &&
      name !== 'createDecipher'
    )
      return;
    const algorithm = stringValue(node.arguments[0]);
    if (algorithm !== undefined && WEAK_CIPHER.test(algorithm)) {
      report(
        node,
        /ecb$/iu.test(algorithm)
          ? `\`${algorithm}\`: ECB encrypts equal blocks to equal blocks`
          : `\`${algorithm}\` is a broken cipher`,
      );
    }
  },
}));

/** Words of a name that say a random value must not be guessable. */
const SECRET_PURPOSE = new Set([
  'token',
  'tokens',
  'secret',
  'nonce',
  'password',
  'passwd',
  'salt',
  'otp',
  'key',
  'keys',
  'id',
  'ids',
  'uuid',
  'session',
  'sid',
  'csrf',
  'xsrf',
  'jti',
  'pin',
  'iv',
  'state',
  'verifier',
  'challenge',
  'code',
]);

/** `code/insecure-random`: `Math.random()` for a token, id, key, nonce, password or secret. */
export const insecureRandom = defineCodeRule(
  'Math.random for values that must not be guessed',
  (_context, report) => ({
    CallExpression(node) {
      if (memberPath(node.callee)?.join('.') !== 'Math.random') return;
      // `Math.random() < 0.1`: a decision, not a value anybody sees
      const parent = node.parent;
      if (parent.type === AST_NODE_TYPES.BinaryExpression && ['<', '>', '<=', '>='].includes(parent.operator))
        return;
      const purpose = purposeNames(node).find((name) => words(name).some((w) => SECRET_PURPOSE.has(w)));
      if (purpose !== undefined) report(node, `\`Math.random()\` makes \`${purpose}\`: it is predictable`);
    },
  }),
);

const WEAK_HASH = /^(?:md2|md4|md5|sha1|sha-1|ripemd|ripemd160|rmd160)$/iu;
const SECURITY_PURPOSE = new Set([
  'password',
  'passwd',
  'token',
  'secret',
  'signature',
  'sign',
  'signed',
  'auth',
  'authenticate',
  'credential',
  'credentials',
  'session',
  'hmac',
  'verify',
  'cookie',
  'nonce',
  'otp',
  'salt',
  'api',
  'mac',
  'integrity',
]);
/** `key` counts only after one of these: `signingKey`, not `cacheKey`. */
const KEY_QUALIFIERS = new Set([
  'private',
  'secret',
  'signing',
  'api',
  'session',
  'hmac',
  'encryption',
  'master',
]);

function securityPurpose(name: string): boolean {
  const w = words(name);
  return w.some(
    (word, i) => SECURITY_PURPOSE.has(word) || (word === 'key' && KEY_QUALIFIERS.has(w[i - 1] ?? '')),
  );
}

/** The arguments fed to `.update(…)` along a `createHash(…).update(a).update(b)` chain. */
function hashedNames(call: TSESTree.CallExpression): string[] {
  const names: string[] = [];
  let current: Node = call;
  while (
    current.parent.type === AST_NODE_TYPES.MemberExpression &&
    current.parent.parent.type === AST_NODE_TYPES.CallExpression
  ) {
    const next: TSESTree.CallExpression = current.parent.parent;
    if (calleeName(next) === 'update') {
      for (const argument of next.arguments) {
        const name = lastName(argument);
        if (name !== undefined) names.push(name);
      }
    }
    current = next;
  }
  return names;
}

/** `code/weak-hash`: MD5/SHA-1 through `createHash`; `high` for passwords, tokens and signatures, `info` otherwise. */
export const weakHash = defineCodeRule('MD5 and SHA-1 through createHash', (_context, report) => ({
  CallExpression(node) {
    if (calleeName(node) !== 'createHash') return;
    const algorithm = stringValue(node.arguments[0]);
    if (algorithm === undefined || !WEAK_HASH.test(algorithm)) return;
    const names = [...purposeNames(node), ...hashedNames(node)];
    const purpose = names.find(securityPurpose);
    if (purpose !== undefined) {
      report(
        node,
        `\`${algorithm}\` protects \`${purpose}\`: collisions (and, for passwords, speed) break it`,
      );
    } else {
      report(
        node,
        `\`${algorithm}\` used as a checksum: fine against accidents, not against an attacker`,
        'info',
      );
    }
  },
}));

/** Below 32 bytes an HMAC key is weaker than the hash it keys, and a literal one is in the repository. */
const MIN_HMAC_KEY = 32;

/** `code/hmac-short-key`: `createHmac(alg, 'short literal')`. */
export const hmacShortKey = defineCodeRule('createHmac with a short literal key', (_context, report) => ({
  CallExpression(node) {
    if (calleeName(node) !== 'createHmac') return;
    const key = node.arguments[1];
    if (key === undefined) return;
    const k = unwrap(key);
    const literal =
      stringValue(k) ??
      (k.type === AST_NODE_TYPES.CallExpression && memberPath(k.callee)?.join('.') === 'Buffer.from'
        ? stringValue(k.arguments[0])
        : undefined);
    if (literal !== undefined && literal.length < MIN_HMAC_KEY) {
      report(node, `\`createHmac\` keyed with a ${literal.length}-character literal`);
    }
  },
}));
