import { TLSSocket } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { RampartError } from '@rampart/errors';
import { peerSpiffeId, workloadNameOf } from '@rampart/mesh';
import { addPublicRoute } from '@rampart/sdk';
import type { Ledger } from '../ledger/index.ts';
import { EventBatch, MAX_BATCH_BYTES, type StoredEvent } from './event-schema.ts';

/** What `POST /v1/events` answers once the batch is in the ledger. */
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

export interface IngestRouteOptions {
  readonly ledger: Ledger;
  readonly trustDomain: string;
  /**
   * Told of each stored batch once committed (metrics, detection), with the events appended now in
   * ledger order — never a duplicate or a conflict, which were not appended.
   */
  readonly onStored?: (source: string, answer: IngestAnswer, appended: readonly AppendedEvent[]) => void;
}

/** An event this batch appended, at its seq in the ledger. */
export interface AppendedEvent {
  readonly seq: number;
  readonly event: StoredEvent;
}

/**
 * `POST /v1/events`: a component's batch of its own security events, over mTLS. The sender is its
 * workload certificate's SPIFFE ID (never a header or a field of the body), and every event must
 * name that component as its `service`, so no component can write events in another's name. The
 * body is checked against the event schema as a whole before anything is stored; the batch is then
 * appended in order, each event under its id (a redelivered id is counted as a duplicate, not
 * appended twice; the same id with other content is a conflict, not appended), and the answer sent
 * only once the ledger committed it.
 */
export function registerIngestRoute(app: FastifyInstance, options: IngestRouteOptions): void {
  const { ledger, trustDomain } = options;
  addPublicRoute<{ Body: EventBatch }>(app, {
    method: 'POST',
    url: '/v1/events',
    schema: { body: EventBatch, maxBodyBytes: MAX_BATCH_BYTES },
    handler: async (request) => {
      const socket = request.raw.socket;
      const source =
        socket instanceof TLSSocket && socket.authorized ? peerSpiffeId(socket.getPeerCertificate()) : null;
      const sender = source === null ? null : workloadNameOf(source, trustDomain);
      if (source === null || sender === null) throw new RampartError('AUDIT_PEER_UNAUTHENTICATED');
      const foreign = request.body.events.findIndex((event) => event.service !== sender);
      if (foreign !== -1) {
        throw new RampartError('AUDIT_WRONG_SOURCE', {
          detail: `events[${foreign}].service is not "${sender}", the sender's certificate`,
        });
      }
      const stored: StoredEvent[] = request.body.events.map((event) => ({ ...event, source }));
      let results;
      try {
        results = await Promise.all(stored.map((event) => ledger.append(event.id, { ...event })));
      } catch (error) {
        throw new RampartError('AUDIT_UNAVAILABLE', { cause: error });
      }
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
      options.onStored?.(source, answer, appended);
      return answer;
    },
  });
}
