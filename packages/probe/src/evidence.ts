import type { IncomingHttpHeaders } from 'node:http';
import type { Evidence } from '@rampart/scan';
import type { Exchange, ProbeRequest } from './target.ts';

const JWT = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g;
const EXCERPT = 400;

/**
 * `text` with every token the probe holds replaced by its variable (`$TOKEN_A`) and anything else
 * shaped like a JWT by `[jwt]`, so evidence and reproductions never carry a credential.
 */
export function redact(text: string, secrets: readonly { token: string; variable: string }[]): string {
  return redactKnown(text, secrets).replace(JWT, '[jwt]');
}

/** `text` with every token the probe holds replaced by its variable, other text untouched. */
export function redactKnown(text: string, secrets: readonly { token: string; variable: string }[]): string {
  let out = text;
  for (const { token, variable } of secrets)
    if (token.length > 0) out = out.split(token).join(`$${variable}`);
  return out;
}

/** A shell word in single quotes. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * A copy-paste `curl` for `req` at `origin`: `--path-as-is` keeps `..` and `//`, the bearer token
 * is the variable (`"Authorization: Bearer $TOKEN_A"`), a forged token's recipe comes first.
 *
 * @example
 * curlOf('https://127.0.0.1:8443', { method: 'GET', path: '/orders', bearer }, '--cacert ca.pem');
 * // curl -sS -i --path-as-is --cacert ca.pem -X GET 'https://127.0.0.1:8443/orders' -H "Authorization: Bearer $TOKEN_A"
 */
export function curlOf(origin: string, req: ProbeRequest, tlsFlag: string): string {
  const words = ['curl -sS -i --path-as-is'];
  if (tlsFlag !== '') words.push(tlsFlag);
  words.push(`-X ${req.method}`, shellQuote(`${origin}${req.path}`));
  if (req.bearer !== undefined) words.push(`-H "Authorization: Bearer $${req.bearer.variable}"`);
  for (const [name, value] of Object.entries(req.headers ?? {}))
    words.push(`-H ${shellQuote(`${name}: ${value}`)}`);
  if (req.body !== undefined)
    words.push(`-H 'content-type: application/json'`, `--data-raw ${shellQuote(req.body)}`);
  const command = words.join(' ');
  return req.bearer?.setup === undefined ? command : `${req.bearer.setup}\n${command}`;
}

const SHOWN_RESPONSE_HEADERS = [
  'content-type',
  'location',
  'retry-after',
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'strict-transport-security',
  'x-content-type-options',
  'server',
  'x-powered-by',
  'allow',
];

/** The request line and fields as sent (credential as its variable), and the answer excerpted. */
export function evidenceOf(
  exchange: Exchange,
  secrets: readonly { token: string; variable: string }[],
): Evidence {
  const req = exchange.request;
  const lines = [`${req.method} ${req.path} HTTP/1.1`];
  if (req.bearer !== undefined) lines.push(`Authorization: Bearer $${req.bearer.variable}`);
  for (const [name, value] of Object.entries(req.headers ?? {})) lines.push(`${name}: ${value}`);
  if (req.body !== undefined) lines.push('', excerpt(req.body));
  return {
    request: redact(lines.join('\n'), secrets),
    response: redact(responseText(exchange.status, exchange.headers, exchange.body), secrets),
  };
}

function responseText(status: number, headers: IncomingHttpHeaders, body: string): string {
  const lines = [`HTTP/1.1 ${status}`];
  for (const name of SHOWN_RESPONSE_HEADERS) {
    const value = headers[name];
    if (value !== undefined) lines.push(`${name}: ${Array.isArray(value) ? value.join(', ') : value}`);
  }
  if (body.length > 0) lines.push('', excerpt(body));
  return lines.join('\n');
}

function excerpt(text: string): string {
  return text.length <= EXCERPT ? text : `${text.slice(0, EXCERPT)}… (${text.length} characters)`;
}
