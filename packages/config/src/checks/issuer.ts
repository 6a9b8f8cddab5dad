import type { Finding } from '../problem.ts';
import { issuerProblem } from '../rules/issuer.ts';
import type { RampartConfig } from '../schema.ts';

/**
 * `identity.issuer`: CFG_INVALID_VALUE for one the gateway refuses ({@link issuerProblem}), and
 * CFG_HTTP_ISSUER (a warning) for a plain-http one it accepts under `dangerouslyAllowHttpIssuer`:
 * its key set, and so every token check, then rests on an unauthenticated connection.
 */
export function checkIssuer(config: RampartConfig): Finding[] {
  const issuer = config.identity?.issuer;
  if (issuer === undefined) return [];
  const allowHttp = config.identity?.dangerouslyAllowHttpIssuer === true;
  const problem = issuerProblem(issuer, allowHttp);
  if (problem !== undefined) {
    return [
      {
        code: 'CFG_INVALID_VALUE',
        path: ['identity', 'issuer'],
        anchor: 'value',
        message: `\`identity.issuer\` ${problem.message}`,
        fix: problem.fix,
      },
    ];
  }
  if (!issuer.toLowerCase().startsWith('http:')) return [];
  return [
    {
      code: 'CFG_HTTP_ISSUER',
      severity: 'warning',
      path: ['identity', 'issuer'],
      anchor: 'value',
      message:
        '`identity.issuer` is plain http: its token keys are fetched unauthenticated, so whoever can answer on that address can mint accepted tokens',
      fix: 'use an https issuer and drop `dangerouslyAllowHttpIssuer` outside tests',
    },
  ];
}
