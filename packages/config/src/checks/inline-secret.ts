import { dotted } from '../data-path.ts';
import type { DataPath, Finding } from '../problem.ts';
import {
  hasInlineUrlPassword,
  isSecretRef,
  isSecretRefPlace,
  looksLikeJwt,
  looksLikePrivateKey,
} from '../secret-patterns.ts';

const REF_FIX =
  'store it in an environment variable or a file and write `${env:NAME}` or `${file:path}` instead';

/**
 * CFG_INLINE_SECRET, over the raw data (it runs even when the schema check fails, so a secret is
 * flagged wherever it was pasted): a `secret` or a trace-export header that is not a reference, a URL with a password in
 * its userinfo, and any string that looks like a private key or a JWT. Messages name the place,
 * never the value.
 */
export function checkInlineSecret(data: unknown): Finding[] {
  const findings: Finding[] = [];
  walk(data, [], findings);
  return findings;
}

function walk(value: unknown, path: DataPath, findings: Finding[]): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      walk(item, [...path, index], findings);
    });
    return;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      if (looksLikeJwt(key) || looksLikePrivateKey(key)) {
        findings.push({
          code: 'CFG_INLINE_SECRET',
          path: [...path, key],
          anchor: 'key',
          message: 'a key holds a token or a private key written inline',
          fix: REF_FIX,
        });
      } else {
        walk(child, [...path, key], findings);
      }
    }
    return;
  }
  if (typeof value !== 'string') return;
  const where = path.length === 0 ? 'the file' : `\`${dotted(path)}\``;
  const finding = (message: string, fix: string): Finding => ({
    code: 'CFG_INLINE_SECRET',
    path,
    anchor: 'value',
    message,
    fix,
  });
  if (isSecretRefPlace(path) && !isSecretRef(value)) {
    findings.push(finding(`${where} is written inline; a secret must be a reference`, REF_FIX));
  } else if (looksLikePrivateKey(value)) {
    findings.push(finding(`${where} holds a private key written inline`, REF_FIX));
  } else if (looksLikeJwt(value)) {
    findings.push(
      finding(`${where} holds a token (JWT) written inline`, 'remove it; tokens are issued at run time'),
    );
  } else if (hasInlineUrlPassword(value)) {
    findings.push(
      finding(
        `${where} has a password written inline in its URL`,
        'write the password as a reference: scheme://user:${env:NAME}@host/…',
      ),
    );
  }
}
