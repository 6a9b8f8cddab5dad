import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { AUDIT_STREAM, AUDIT_SUBJECT_PREFIX } from '@rampart/sdk';

/** The audit service's durable consumer of {@link AUDIT_STREAM}. */
export const AUDIT_CONSUMER = 'audit-ledger';
/** The stream's bound: past it, publishers are refused and events wait in their outboxes. */
export const STREAM_MAX_BYTES = 1024 * 1024 * 1024;
/** JetStream drops a message whose `Nats-Msg-Id` it saw this recently (a redelivery from an outbox). */
export const DUPLICATE_WINDOW_MS = 2 * 60 * 1000;
/** An event delivered and not acknowledged this long (the audit service died) is delivered again. */
export const ACK_WAIT_MS = 15_000;
/** Events delivered and not yet acknowledged, at most: the bound of the consumer's work in flight. */
export const MAX_ACK_PENDING = 2_000;

const nanos = (ms: number): number => ms * 1_000_000;

/**
 * What the stream must be. Work-queue retention: an event leaves NATS once the audit service
 * acknowledged it, which it does only after the ledger committed it — the ledger is the record,
 * NATS only the way there. Nothing expires unconsumed (no `max_age`): at `max_bytes` the stream
 * refuses new events (`discard: new`) rather than dropping old ones, so publishers keep them in
 * their outboxes until there is room. File storage, one replica (more on a cluster: planned).
 */
export function auditStreamConfig(): Partial<StreamConfig> & Pick<StreamConfig, 'name'> {
  return {
    name: AUDIT_STREAM,
    subjects: [`${AUDIT_SUBJECT_PREFIX}.*`],
    storage: StorageType.File,
    retention: RetentionPolicy.Workqueue,
    discard: DiscardPolicy.New,
    max_bytes: STREAM_MAX_BYTES,
    max_age: 0,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    num_replicas: 1,
  };
}

function consumerConfig(): Partial<ConsumerConfig> {
  return {
    durable_name: AUDIT_CONSUMER,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(ACK_WAIT_MS),
    deliver_policy: DeliverPolicy.All,
    max_deliver: -1,
    max_ack_pending: MAX_ACK_PENDING,
    filter_subject: `${AUDIT_SUBJECT_PREFIX}.*`,
  };
}

/**
 * Creates the stream and the durable consumer, or checks and updates them: the limits are brought
 * to what this version wants; a stream of another retention or storage (someone made it by hand)
 * is an error naming the fix, since JetStream cannot change those in place.
 */
export async function ensureAuditStream(jsm: JetStreamManager): Promise<void> {
  const wanted = auditStreamConfig();
  const existing = await jsm.streams.info(AUDIT_STREAM).catch((error: unknown) => {
    if (isNotFound(error)) return undefined;
    throw error;
  });
  if (existing === undefined) {
    await jsm.streams.add(wanted);
  } else {
    const { retention, storage } = existing.config;
    if (retention !== wanted.retention || storage !== wanted.storage) {
      throw new TypeError(
        `NATS stream ${AUDIT_STREAM} exists with retention ${retention} and storage ${storage}; the audit ` +
          `service needs ${String(wanted.retention)} and ${String(wanted.storage)}: delete the stream once it is drained ` +
          `(nats stream rm ${AUDIT_STREAM}), and the audit service creates it`,
      );
    }
    await jsm.streams.update(AUDIT_STREAM, {
      subjects: wanted.subjects ?? [],
      discard: DiscardPolicy.New,
      max_bytes: STREAM_MAX_BYTES,
      max_age: 0,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    });
  }
  const consumer = await jsm.consumers.info(AUDIT_STREAM, AUDIT_CONSUMER).catch((error: unknown) => {
    if (isNotFound(error)) return undefined;
    throw error;
  });
  if (consumer === undefined) await jsm.consumers.add(AUDIT_STREAM, consumerConfig());
  else {
    const { ack_wait, max_deliver, max_ack_pending } = consumerConfig();
    await jsm.consumers.update(AUDIT_STREAM, AUDIT_CONSUMER, {
      ...(ack_wait === undefined ? {} : { ack_wait }),
      ...(max_deliver === undefined ? {} : { max_deliver }),
      ...(max_ack_pending === undefined ? {} : { max_ack_pending }),
    });
  }
}

function isNotFound(error: unknown): boolean {
  const text = error instanceof Error ? `${error.name} ${error.message}` : '';
  return /not found/iu.test(text);
}
