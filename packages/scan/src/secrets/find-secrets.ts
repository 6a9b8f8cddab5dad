import { shannonEntropy } from './entropy.ts';
import { isPlaceholder } from './placeholders.ts';
import { PROVIDER_PATTERNS } from './provider-patterns.ts';
import {
  genericSecrets,
  jwts,
  privateKeys,
  uriCredentials,
  type SecretMatch,
} from './structural-patterns.ts';

export type { SecretMatch } from './structural-patterns.ts';

export interface FindSecretsOptions {
  /** Unquoted `name: value` / `NAME=value` assignments count (YAML, `.env`, properties, INI, TOML). */
  readonly configFile: boolean;
  /** Leave generic assignments out (rampart.yaml: `rampart check` reports its inline secrets). */
  readonly skipGeneric?: boolean;
}

/** Lines longer than this are minified or data: only the provider and key patterns look at them. */
const MAX_GENERIC_LINE = 4096;

/**
 * Every secret in a text: provider tokens, private keys, JWTs, URI credentials and generic
 * assignments, minus placeholders and values under their rule's entropy or length minimum. A value
 * that a provider rule reports is not reported again as generic.
 *
 * @example
 * findSecrets('token = "ghp_…"', { configFile: false }); // [{ ruleId: 'secrets/github-token', line: 1, … }]
 */
export function findSecrets(text: string, options: FindSecretsOptions): SecretMatch[] {
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const lineAt = (index: number): number => {
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((lineStarts[mid] ?? 0) <= index) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  };
  const found: SecretMatch[] = privateKeys(text, lineAt);
  const lines = text.split('\n');
  for (const [i, rawLine] of lines.entries()) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    const number = i + 1;
    const lower = line.toLowerCase();
    const onLine: SecretMatch[] = [];
    for (const provider of PROVIDER_PATTERNS) {
      if (!provider.keywords.some((k) => lower.includes(k))) continue;
      for (const match of line.matchAll(provider.pattern)) {
        const secret = match.groups?.['secret'] ?? '';
        const body = secret.replace(provider.prefix, '');
        if (secret.length < provider.minLength || shannonEntropy(body) < provider.minEntropy) continue;
        if (
          isPlaceholder(
            secret,
            secret.length - body.length > 0 ? secret.slice(0, secret.length - body.length) : '',
          )
        )
          continue;
        onLine.push({
          ruleId: provider.ruleId,
          line: number,
          column: match.index + match[0].indexOf(secret) + 1,
          secret,
        });
      }
    }
    onLine.push(...jwts(line, number), ...uriCredentials(line, number));
    if (options.skipGeneric !== true && line.length <= MAX_GENERIC_LINE) {
      for (const generic of genericSecrets(line, number, options.configFile)) {
        const covered = onLine.some(
          (m) => m.secret.includes(generic.secret) || generic.secret.includes(m.secret),
        );
        if (!covered) onLine.push(generic);
      }
    }
    found.push(...onLine);
  }
  return found.sort((a, b) => a.line - b.line || a.column - b.column);
}
