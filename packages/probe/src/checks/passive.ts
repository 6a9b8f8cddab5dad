import { report, type ProbeContext } from '../context.ts';
import { header, type Exchange } from '../target.ts';

/** What betrays internals in an error answer: stack frames, file paths, framework banners. */
const LEAKS: [string, RegExp][] = [
  ['stack trace', /\bat (?:async )?[\w$.<>[\] ]*\s?\(?(?:file:\/\/|node:|\/|[A-Z]:\\)[^\s)]*:\d+:\d+\)?/],
  ['stack trace', /Traceback \(most recent call last\)|\bat [\w$.]+\([\w$]+\.java:\d+\)/],
  [
    'file path',
    /(?:^|[\s"'(])\/(?:home|usr|var|opt|srv|app|root|tmp)\/[\w.-]+\/[\w./-]+\.(?:[cm]?[jt]s|py|java|rb|go|php)\b/,
  ],
  ['file path', /[A-Z]:\\(?:Users|inetpub|Program Files)\\/],
  [
    'framework banner',
    /\b(?:Express|Werkzeug|Django|Spring Boot|Whitelabel Error Page|ASP\.NET|PHP\/\d|Apache Tomcat)\b/,
  ],
  [
    'internal error text',
    /\b(?:TypeError|ReferenceError|SyntaxError|NullPointerException|SQLITE_ERROR|ECONNREFUSED)\b/,
  ],
];

/** The first leak in `body`, named. */
export function leakIn(body: string): { kind: string; text: string } | undefined {
  for (const [kind, pattern] of LEAKS) {
    const match = pattern.exec(body);
    if (match !== null) return { kind, text: match[0].trim().slice(0, 120) };
  }
  return undefined;
}

/**
 * Checks every answer the run received: error bodies leaking internals, and the security headers
 * (HSTS and nosniff on every answer, no server banner with a version). One finding per rule and
 * kind, on the first answer that shows it.
 */
export function checkPassive(ctx: ProbeContext, exchanges: readonly Exchange[]): void {
  ctx.progress('answers: error leaks and security headers');
  for (const answer of exchanges) {
    if (answer.status >= 400) {
      const leak = leakIn(answer.body);
      if (leak !== undefined)
        report(ctx, 'probe/errors-verbose', answer, {
          variant: leak.kind,
          message: `A ${answer.status} answer to ${answer.request.method} ${answer.request.path} carries a ${leak.kind}: "${leak.text}".`,
        });
    }
    if (answer.status === 0) continue;
    if (header(answer.headers, 'strict-transport-security') === undefined)
      report(ctx, 'probe/headers-missing-hsts', answer, {
        message: `A ${answer.status} answer to ${answer.request.method} ${answer.request.path} has no Strict-Transport-Security.`,
      });
    if (header(answer.headers, 'x-content-type-options')?.toLowerCase() !== 'nosniff')
      report(ctx, 'probe/headers-missing-nosniff', answer, {
        message: `A ${answer.status} answer to ${answer.request.method} ${answer.request.path} has no X-Content-Type-Options: nosniff.`,
      });
    for (const name of ['server', 'x-powered-by']) {
      const value = header(answer.headers, name);
      if (value !== undefined && (name === 'x-powered-by' || /\d/.test(value)))
        report(ctx, 'probe/headers-server-banner', answer, {
          variant: name,
          message: `${name}: ${value} names the software${/\d/.test(value) ? ' and its version' : ''}.`,
        });
    }
  }
}
