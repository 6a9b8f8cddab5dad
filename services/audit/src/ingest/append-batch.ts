import type { Ledger } from '../ledger/index.ts';
import type { IncomingEvent, StoredEvent } from './event-schema.ts';

/** What an ingested batch came to once in the ledger. */
export interface IngestAnswer {
  /** Events appended now. */
  readonly accepted: number;
  /** Events whose id the ledger already held (a redelivery): not appended again. */
  readonly duplicates: number;
  /**
   * Events whose id the ledger held with other content: not appended (the first one stands). A
   * shipper never does this; a component that does is lying or broken, and the audit log says so.
   */
  readonly conflicts: number;
}

/** An event this batch appended, at its seq in the ledger. */
export interface AppendedEvent {
  readonly seq: number;
  readonly event: StoredEvent;
}

/**
 * Told of each stored batch once committed (metrics, detection), with the events appended now in
 * ledger order — never a duplicate or a conflict, which were not appended.
 */
export type OnStored = (source: string, answer: IngestAnswer, appended: readonly AppendedEvent[]) => void;

/**
 * Appends checked events of one sender to the ledger, in order, each under its id with `source`
 * (who sent it, as the transport proved it), and resolves once the ledger committed them all. The
 * caller has checked the schema and that each event names the sender as its `service`; both
 * transports (`POST /v1/events`, the NATS consumer) end here. Rejects when the ledger fails.
 */
export async function appendBatch(
  ledger: Ledger,
  source: string,
  events: readonly IncomingEvent[],
  onStored?: OnStored,
): Promise<IngestAnswer> {
  const stored: StoredEvent[] = events.map((event) => ({ ...event, source }));
  const results = await Promise.all(stored.map((event) => ledger.append(event.id, { ...event })));
  const count = (status: string): number => results.filter((result) => result.status === status).length;
  const answer: IngestAnswer = {
    accepted: count('appended'),
    duplicates: count('duplicate'),
    conflicts: count('conflict'),
  };
  const appended = results.flatMap((result, index) => {
    const event = stored[index];
    return result.status === 'appended' && event !== undefined ? [{ seq: result.seq, event }] : [];
  });
  onStored?.(source, answer, appended);
  return answer;
}
