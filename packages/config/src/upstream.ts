import { isIPv4 } from 'node:net';

/** An `upstream` of rampart.yaml, understood. */
export type ParsedUpstream =
  | { readonly ok: true; readonly host: string; readonly port: number; readonly origin: string }
  | { readonly ok: false; readonly reason: string };

/**
 * Reads a service's `upstream`: plain `http://` to a literal loopback address (127.0.0.0/8 or
 * `[::1]`) with an explicit port, and nothing else — no path, query, fragment or credentials.
 *
 * Why loopback only: the hop from the sidecar to the process is plain HTTP that carries the
 * caller's verified identity in headers and the internal token. On loopback nobody off the host can
 * read or reach it; anywhere else an observer would read the token and anyone who reaches the
 * address could send forged identity headers straight to the process. A name such as `localhost`
 * is refused too: what it resolves to is not in rampart.yaml.
 *
 * @example
 * parseUpstream('http://127.0.0.1:5000'); // { ok: true, host: '127.0.0.1', port: 5000, origin: 'http://127.0.0.1:5000' }
 */
export function parseUpstream(value: string): ParsedUpstream {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, reason: 'is not a URL' };
  }
  if (url.protocol !== 'http:') return { ok: false, reason: `uses ${url.protocol} instead of http:` };
  if (url.username !== '' || url.password !== '') return { ok: false, reason: 'holds credentials' };
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || /[?#]/.test(value))
    return { ok: false, reason: 'has a path, query or fragment' };
  if (value.replace(/\/$/, '') !== `${url.protocol}//${url.host}`)
    return { ok: false, reason: 'is not in normalized form' };
  const host = url.hostname;
  const loopback = host === '[::1]' || (isIPv4(host) && host.startsWith('127.'));
  if (!loopback) return { ok: false, reason: `is on ${host}, not a literal loopback address` };
  if (url.port === '') return { ok: false, reason: 'has no port' };
  return { ok: true, host: host === '[::1]' ? '::1' : host, port: Number(url.port), origin: url.origin };
}
