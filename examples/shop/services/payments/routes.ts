import { randomUUID } from 'node:crypto';
import { RampartError } from '@rampart/errors';
import type { JsonSchema, Service } from '@rampart/sdk';
import { checkCard } from './card.ts';
import { createPaymentRepository, migrations, type PaymentRepository } from './repository.ts';

export interface PaymentRequest {
  readonly orderId: string;
  readonly cardNumber: string;
  readonly expiry: string;
}

export const paymentRequestSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['orderId', 'cardNumber', 'expiry'],
  properties: {
    orderId: { type: 'string', format: 'uuid' },
    cardNumber: { type: 'string', pattern: '^[0-9]{13,19}$' },
    expiry: { type: 'string', pattern: '^(0[1-9]|1[0-2])/[0-9]{2}$' },
  },
};

/** The only shape a payment leaves this service in: a stray field is dropped by the serializer. */
const paymentSchema: JsonSchema = {
  type: 'object',
  properties: { id: { type: 'string' }, orderId: { type: 'string' }, last4: { type: 'string' } },
};

const paymentIdParams: JsonSchema = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', format: 'uuid' } },
};

export function registerPaymentRoutes(svc: Service, payments: PaymentRepository): void {
  svc.route<{ Body: PaymentRequest }>({
    method: 'POST',
    url: '/payments',
    scopes: ['orders:write'],
    schema: {
      body: paymentRequestSchema,
      response: { 200: paymentSchema, 201: paymentSchema },
      maxBodyBytes: 1024,
    },
    handler: async (request, reply) => {
      const { orderId, cardNumber, expiry } = request.body;
      checkCard(cardNumber, expiry);
      const outcome = await payments.record(request.principal.subject, {
        id: randomUUID(),
        orderId,
        cardNumber,
        last4: cardNumber.slice(-4),
        expiry,
        createdAt: new Date().toISOString(),
      });
      switch (outcome.kind) {
        case 'created':
          request.log.info({ paymentId: outcome.payment.id, orderId }, 'payment recorded');
          return reply.code(201).send(outcome.payment);
        case 'existing':
          // Idempotent per order: a second charge is answered with the first, never stored.
          request.log.info({ paymentId: outcome.payment.id, orderId }, 'order already paid');
          return reply.code(200).send(outcome.payment);
        case 'foreign':
          throw new RampartError('SHOP_ORDER_NOT_PENDING', { detail: 'order paid by another owner' });
      }
    },
  });

  svc.route<{ Params: { id: string } }>({
    method: 'GET',
    url: '/payments/{id}',
    scopes: ['orders:read'],
    schema: { params: paymentIdParams, response: { 200: paymentSchema } },
    handler: async (request) => {
      const payment = await payments.findFor(request.principal.subject, request.params.id);
      if (payment === undefined) throw new RampartError('SDK_NOT_FOUND');
      return payment;
    },
  });
}

/** Migrates the store and adds the routes: everything `main.ts` and the tests need. */
export async function setupPayments(svc: Service): Promise<void> {
  await svc.store.migrate(migrations);
  registerPaymentRoutes(svc, createPaymentRepository(svc.store, svc.fields));
}
