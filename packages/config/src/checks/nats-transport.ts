import type { Finding } from '../problem.ts';
import type { RampartConfig } from '../schema.ts';

/**
 * `storage.nats.url`: `tls://host:port` — components authenticate with their workload certificates
 * and may publish their own events only (the nats-server configuration of docs/events.md, `natsServerConfig`
 * of @rampart/audit). A `nats://` URL is an error (CFG_NATS_UNAUTHENTICATED): with no client authentication
 * any process that reaches NATS could publish events in any component's name, and the audit trail
 * would record forgeries as the gateway's or identity's own words — the one thing it exists to
 * prevent. Under `dangerouslyAllowUnauthenticated: true` (tests) it is a warning instead, and the
 * audit service stores such events with the source `nats-unauthenticated:<component>`.
 */
export function checkNatsTransport(config: RampartConfig): Finding[] {
  const nats = config.storage?.nats;
  if (nats === undefined) return [];
  const path = ['storage', 'nats', 'url'];
  const match = /^(tls|nats):\/\/([^/?#@\s]+)\/?$/u.exec(nats.url);
  if (match === null) {
    return [
      {
        code: 'CFG_INVALID_VALUE',
        path,
        anchor: 'value',
        message: '`storage.nats.url` is not tls://host:port',
        fix: 'write the NATS server as tls://host:port, e.g. tls://127.0.0.1:4222 (no user or password in it)',
      },
    ];
  }
  if (match[1] === 'tls') return [];
  const allowed = nats.dangerouslyAllowUnauthenticated === true;
  return [
    {
      code: 'CFG_NATS_UNAUTHENTICATED',
      ...(allowed ? { severity: 'warning' as const } : {}),
      path,
      anchor: 'value',
      message:
        "`storage.nats.url` is nats:// (no TLS, no client authentication): any process that reaches NATS can publish security events in any component's name, and read them",
      fix: allowed
        ? 'use tls:// with the nats-server configuration of docs/events.md; keep `dangerouslyAllowUnauthenticated` for tests'
        : 'use tls:// with the nats-server configuration of docs/events.md (or, for a test, set `storage.nats.dangerouslyAllowUnauthenticated: true`)',
    },
  ];
}
