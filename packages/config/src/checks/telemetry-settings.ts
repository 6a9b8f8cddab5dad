import { isIP } from 'node:net';
import type { Finding } from '../problem.ts';
import type { RampartConfig } from '../schema.ts';

/**
 * Headers the exporter writes itself, or that belong to the connection: a value from rampart.yaml
 * would break the export (`content-type`) or the framing of the request (`content-length`, `host`).
 */
const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'content-encoding',
  'content-length',
  'content-type',
  'host',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Whether `hostname` (as `URL` spells it: IPv6 in brackets) is a loopback IP literal: 127.0.0.0/8
 * or ::1. A name such as `localhost` is not: what it resolves to is the resolver's to decide.
 */
export function isLoopbackLiteral(hostname: string): boolean {
  const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  if (isIP(host) === 4) return host.startsWith('127.');
  return isIP(host) === 6 && host === '::1';
}

/**
 * CFG_INVALID_VALUE for `telemetry.traces`: the endpoint is an absolute https URL — plain http
 * only to a loopback IP literal (spans name the routes, services and denials of the system, and the
 * export's headers carry the collector's credential) — and no header is one the exporter or the
 * connection owns.
 */
export function checkTelemetrySettings(config: RampartConfig): Finding[] {
  const traces = config.telemetry?.traces;
  if (traces === undefined) return [];
  const findings: Finding[] = [];
  const endpoint = endpointProblem(traces.endpoint);
  if (endpoint !== undefined) {
    findings.push({
      code: 'CFG_INVALID_VALUE',
      path: ['telemetry', 'traces', 'endpoint'],
      anchor: 'value',
      message: `\`telemetry.traces.endpoint\` ${endpoint.message}`,
      fix: endpoint.fix,
    });
  }
  for (const name of Object.keys(traces.headers ?? {})) {
    if (!RESERVED_HEADERS.has(name.toLowerCase())) continue;
    findings.push({
      code: 'CFG_INVALID_VALUE',
      path: ['telemetry', 'traces', 'headers', name],
      anchor: 'key',
      message: `\`telemetry.traces.headers\` may not set \`${name}\`: the exporter or the connection sets it`,
      fix: 'remove it; only headers the collector authenticates or routes with belong here',
    });
  }
  return findings;
}

function endpointProblem(endpoint: string): { message: string; fix: string } | undefined {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return { message: 'is not a URL', fix: 'write it whole, e.g. https://collector:4318/v1/traces' };
  }
  if (url.username !== '' || url.password !== '') {
    return {
      message: 'must not carry user info',
      fix: 'drop the `user:password@` part and send the credential as a header: headers: { authorization: ${env:NAME} }',
    };
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && isLoopbackLiteral(url.hostname)) return undefined;
  return {
    message: 'must use https (plain http only to a collector on 127.0.0.1 or [::1])',
    fix: "spans name the system's routes, services and denials, and the export carries the collector's credential: use https, or run the collector on this machine's loopback",
  };
}
