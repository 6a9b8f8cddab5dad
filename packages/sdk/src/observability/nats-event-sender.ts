import { X509Certificate } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { peerSpiffeId, workloadNameOf } from '@rampart/mesh';
import type { MeshCredentials } from '../mesh-agent.ts';
import type { EventSender, SendAnswer } from './event-sender.ts';
import { sameCredentials } from './http-event-sender.ts';
import { auditSubject, connectNats, natsTarget, type NatsSettings } from './nats-connection.ts';

export interface NatsEventSenderOptions {
  readonly settings: NatsSettings;
  readonly trustDomain: string;
  /**
   * The component's workload credentials, read before each batch (they rotate: new ones mean a new
   * connection). Required for `tls://`; the subject is the workload name in their SPIFFE ID.
   */
  readonly credentials: () => MeshCredentials;
  /** Connecting, and waiting for a batch's PubAcks (default 10 s). */
  readonly timeoutMs?: number;
}

/**
 * The NATS JetStream transport: each event of a batch is published on
 * `rampart.audit.events.<component>` (the component named by its own workload certificate) with
 * `Nats-Msg-Id` = the event's id, so JetStream drops a redelivery within its duplicate window; the
 * ledger's append by id covers the rest. The batch is delivered once every event has its PubAck —
 * stored by the stream — and only then leaves the outbox. A failure to connect or publish is
 * retried by the shipper (an event larger than the server's `max_payload` is refused: it never
 * fits); the connection is opened again after a loss or a certificate renewal.
 *
 * @example
 * const sender = createNatsEventSender({ settings: config.storage.nats, trustDomain, credentials: () => workload.current() });
 * const shipper = createEventShipper({ outbox, sender, log, metrics });
 */
export function createNatsEventSender(options: NatsEventSenderOptions): EventSender {
  natsTarget(options.settings); // a bad URL is a TypeError now, not a retry forever
  const timeoutMs = options.timeoutMs ?? 10_000;
  let current:
    | { readonly credentials: MeshCredentials; readonly connection: NatsConnection; readonly subject: string }
    | undefined;

  async function connection(): Promise<NonNullable<typeof current>> {
    const credentials = options.credentials();
    if (current !== undefined && !current.connection.isClosed()) {
      if (sameCredentials(current.credentials, credentials)) return current;
    }
    const previous = current?.connection;
    current = undefined;
    previous?.close().catch(() => undefined);
    const name = componentOf(credentials, options.trustDomain);
    const opened = await connectNats({
      settings: options.settings,
      trustDomain: options.trustDomain,
      credentials: () => credentials,
      name,
      timeoutMs,
      reconnect: false,
    });
    current = { credentials, connection: opened, subject: auditSubject(name) };
    return current;
  }

  return {
    destination: 'NATS JetStream',
    async send(lines, signal): Promise<SendAnswer> {
      let open;
      try {
        open = await connection();
      } catch (error) {
        return { kind: 'retry', reason: 'unreachable', error };
      }
      const maxPayload = open.connection.info?.max_payload ?? Infinity;
      const tooLarge = lines.findIndex((line) => Buffer.byteLength(line) > maxPayload);
      if (tooLarge !== -1)
        return {
          kind: 'refused',
          detail: `an event is larger than the NATS server's max_payload (${String(maxPayload)})`,
        };
      const ids = lines.map(idOf);
      if (ids.includes(undefined)) return { kind: 'refused', detail: 'an event without a string id' };
      const js = jetstream(open.connection, { timeout: timeoutMs });
      try {
        const acks = await Promise.all(
          lines.map((line, i) => js.publish(open.subject, line, { msgID: ids[i] ?? '', timeout: timeoutMs })),
        );
        if (signal.aborted) return { kind: 'retry', reason: 'unreachable', error: signal.reason };
        return acks.length === lines.length ? { kind: 'delivered' } : { kind: 'retry', reason: 'bad_answer' };
      } catch (error) {
        // No PubAck for some: the stream has not stored them (or we cannot know). All go again; those
        // it did store are duplicates JetStream or the ledger recognises.
        return { kind: 'retry', reason: 'server_error', error };
      }
    },
    async close(force) {
      const open = current?.connection;
      current = undefined;
      if (open === undefined) return;
      await (force ? open.close() : open.drain().catch(() => open.close()));
    },
  };
}

/** The workload name in the credentials' certificate (`orders` for `…/service/orders`). */
function componentOf(credentials: MeshCredentials, trustDomain: string): string {
  const id = peerSpiffeId(new X509Certificate(credentials.certPem));
  const name = id === null ? null : workloadNameOf(id, trustDomain);
  if (name === null) throw new TypeError(`the workload certificate names no component of ${trustDomain}`);
  return name;
}

/** The `id` of an outbox line (the outbox checked each line is an object with one), if a string. */
function idOf(line: string): string | undefined {
  try {
    const value = (JSON.parse(line) as { id?: unknown }).id;
    return typeof value === 'string' && value.length > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}
