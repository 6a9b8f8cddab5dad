import { componentSpiffeId, verifyPeerSpiffeId } from '@rampart/mesh';
import { connect, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import type { MeshCredentials } from '../mesh-agent.ts';

/** The JetStream stream holding security events on their way to the audit service. */
export const AUDIT_STREAM = 'RAMPART_AUDIT';
/** Events of component `<name>` are published on `rampart.audit.events.<name>`. */
export const AUDIT_SUBJECT_PREFIX = 'rampart.audit.events';
/** The workload name the NATS server's certificate carries: `spiffe://<trust domain>/rampart/nats`. */
export const NATS_WORKLOAD = 'nats';

/**
 * The subject a component publishes its events on. Under the nats-server configuration Rampart
 * describes (docs/events.md; `natsServerConfig` of @rampart/audit), a component may publish on its own subject alone.
 *
 * @example
 * auditSubject('orders'); // 'rampart.audit.events.orders'
 */
export function auditSubject(component: string): string {
  if (!/^[a-z][a-z0-9-]{0,62}$/u.test(component))
    throw new TypeError(`"${component}" is not a component name (lower-case letters, digits, dashes)`);
  return `${AUDIT_SUBJECT_PREFIX}.${component}`;
}

/** `storage.nats` of rampart.yaml. */
export interface NatsSettings {
  /** `tls://host:port` (mutual TLS with the workload certificate) or `nats://host:port` (plaintext). */
  readonly url: string;
  /** Accept a `nats://` URL: no client authentication, so anyone reaching NATS can forge events. */
  readonly dangerouslyAllowUnauthenticated?: boolean;
}

export interface NatsConnectOptions {
  readonly settings: NatsSettings;
  readonly trustDomain: string;
  /**
   * The workload certificate presented to NATS (`tls://` only) and the mesh roots its server must
   * chain to; read at each (re)connection, so a reconnection presents the renewed certificate.
   */
  readonly credentials: (() => MeshCredentials) | undefined;
  /** The connection's name, shown by the NATS server's monitoring. */
  readonly name: string;
  /** The first connection attempt, at most (default 5 s). */
  readonly timeoutMs?: number;
  /** Reconnect forever after a loss (the consumer); else the connection closes and the caller retries. */
  readonly reconnect: boolean;
}

/**
 * Connects to the NATS server of `storage.nats`. With `tls://` (the only kind accepted without
 * `dangerouslyAllowUnauthenticated`): TLS, the component's workload certificate as the client
 * certificate (the server maps its SPIFFE ID to a user allowed to publish on that component's
 * subject alone: `tls { verify_and_map: true }`), and the server must chain to the mesh roots and
 * prove `spiffe://<trust domain>/rampart/nats` — the host name is not what is trusted. Replies use a
 * per-connection inbox prefix `_INBOX_<name>` so each user's permissions can be that narrow.
 *
 * @example
 * const nc = await connectNats({ settings: config.storage.nats, trustDomain, credentials: () => workload.current(), name: 'orders', reconnect: false });
 */
export async function connectNats(options: NatsConnectOptions): Promise<NatsConnection> {
  const target = natsTarget(options.settings);
  const base: NodeConnectionOptions = {
    servers: target.server,
    name: `rampart-${options.name}`,
    inboxPrefix: `_INBOX_${options.name}`,
    timeout: options.timeoutMs ?? 5_000,
    reconnect: options.reconnect,
    maxReconnectAttempts: options.reconnect ? -1 : 0,
    reconnectTimeWait: 1_000,
  };
  if (!target.tls) return connect({ ...base, tls: null });
  const { credentials } = options;
  if (credentials === undefined) throw new TypeError('a tls:// NATS URL needs the workload credentials');
  // Passed through to tls.connect: the server proves the NATS workload's SPIFFE ID, not a host
  // name. Getters: the client copies them at each (re)connection, the credentials rotate.
  const tls = {
    get cert() {
      return credentials().certPem;
    },
    get key() {
      return credentials().keyPem;
    },
    get ca() {
      return credentials().caPems.join('\n');
    },
    checkServerIdentity: verifyPeerSpiffeId(componentSpiffeId(options.trustDomain, NATS_WORKLOAD)),
    minVersion: 'TLSv1.3',
  };
  return connect({ ...base, tls });
}

/** The server (`host:port`) and whether TLS is used; throws a TypeError naming the fix. */
export function natsTarget(settings: NatsSettings): { readonly server: string; readonly tls: boolean } {
  const match = /^(tls|nats):\/\/([^/?#@\s]+)\/?$/u.exec(settings.url);
  if (match === null)
    throw new TypeError('storage.nats.url must be tls://host:port (or nats://host:port, tests only)');
  const tls = match[1] === 'tls';
  if (!tls && settings.dangerouslyAllowUnauthenticated !== true)
    throw new TypeError(
      'storage.nats.url is nats:// (no authentication: any process reaching NATS could publish events in any ' +
        "component's name): use tls:// (docs/events.md), or set dangerouslyAllowUnauthenticated (tests only)",
    );
  return { server: match[2] ?? '', tls };
}
