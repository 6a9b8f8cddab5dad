import { TLSSocket } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { RampartError } from '@rampart/errors';
import { peerSpiffeId, workloadNameOf } from '@rampart/mesh';
import { addPublicRoute } from '@rampart/sdk';
import type { Ledger } from '../ledger/index.ts';
import { appendBatch, type IngestAnswer, type OnStored } from './append-batch.ts';
import { EventBatch, MAX_BATCH_BYTES } from './event-schema.ts';

export type { AppendedEvent, IngestAnswer, OnStored } from './append-batch.ts';

export interface IngestRouteOptions {
  readonly ledger: Ledger;
  readonly trustDomain: string;
  /** Told of each stored batch once committed (metrics, detection). */
  readonly onStored?: OnStored;
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
  addPublicRoute<{ Body: EventBatch; Reply: IngestAnswer }>(app, {
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
      try {
        return await appendBatch(ledger, source, request.body.events, options.onStored);
      } catch (error) {
        throw new RampartError('AUDIT_UNAVAILABLE', { cause: error });
      }
    },
  });
}
