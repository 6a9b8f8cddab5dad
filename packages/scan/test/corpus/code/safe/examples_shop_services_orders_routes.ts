import { randomUUID } from 'node:crypto';
import { RampartError } from '@rampart/errors';
import type { AuthenticatedRequest, JsonSchema, Service } from '@rampart/sdk';
import { CURRENCY, findProduct } from './catalog.ts';
import {
  createOrderRepository,
  migrations,
  type Order,
  type OrderItem,
  type OrderRepository,
} from './repository.ts';

export interface NewOrder {
  readonly items: readonly { readonly sku: string; readonly quantity: number }[];
}

const orderSchema: JsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    status: { type: 'string' },
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          sku: { type: 'string' },
          quantity: { type: 'integer' },
          unitPriceCents: { type: 'integer' },
        },
      },
    },
    totalCents: { type: 'integer' },
    currency: { type: 'string' },
    createdAt: { type: 'string' },
    payment: { type: 'object', properties: { id: { type: 'string' }, last4: { type: 'string' } } },
    ratings: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: { average: { type: 'number' }, count: { type: 'integer' } },
      },
    },
  },
};

export interface PaymentDetails {
  readonly cardNumber: string;
  readonly expiry: string;
}

/** Prices an order from the catalog; an unknown SKU is the client's error. */
export function priceOrder(request: NewOrder): { items: OrderItem[]; totalCents: number } {
  const items = request.items.map(({ sku, quantity }) => {
    const product = findProduct(sku);
    if (product === undefined) throw new RampartError('SHOP_UNKNOWN_SKU', { detail: `sku ${sku}` });
    return { sku, quantity, unitPriceCents: product.priceCents };
  });
  return { items, totalCents: items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0) };
}

/**
 * The routes of rampart.yaml's `orders` service. Each handler names only its route: the SDK takes
 * the request schema from the route and the scopes from its policy (and refuses to start if a
 * route has no handler here, or a handler no route there).
 */
export function registerOrderRoutes(svc: Service, orders: OrderRepository): void {
  svc.route({
    method: 'GET',
    url: '/orders',
    schema: {
      response: { 200: { type: 'object', properties: { orders: { type: 'array', items: orderSchema } } } },
    },
    handler: async (request) => ({ orders: await orders.listFor(request.principal.subject) }),
  });

  svc.route<{ Body: NewOrder }>({
    method: 'POST',
    url: '/orders',
    schema: { response: { 201: orderSchema }, maxBodyBytes: 8192 },
    handler: async (request, reply) => {
      const { items, totalCents } = priceOrder(request.body);
      const order: Order = {
        id: randomUUID(),
        status: 'pending',
        items,
        totalCents,
        currency: CURRENCY,
        createdAt: new Date().toISOString(),
      };
      await orders.create(request.principal.subject, order);
      request.log.info({ orderId: order.id }, 'order created');
      return reply.code(201).header('location', `/orders/${order.id}`).send(order);
    },
  });

  svc.route<{ Params: { id: string }; Body: PaymentDetails }>({
    method: 'POST',
    url: '/orders/{id}/payment',
    schema: { response: { 200: orderSchema }, maxBodyBytes: 1024 },
    handler: async (request) => {
      const owner = request.principal.subject;
      const { id } = request.params;
      if ((await orders.findFor(owner, id)) === undefined) throw new RampartError('SDK_NOT_FOUND');
      // Take the order for this attempt in one conditional UPDATE (pending → paying): of concurrent
      // requests exactly one gets it; reading "pending" and then paying would let them all pay.
      const attempt = randomUUID();
      if (!(await orders.beginPayment(owner, id, attempt))) throw new RampartError('SHOP_ORDER_NOT_PENDING');
      let payment: { id: string; last4: string };
      try {
        payment = await charge(svc, request, id, attempt);
      } catch (error) {
        // Give the order back: it is never stuck in paying. A retry is safe even if payments did
        // record this charge, because payments keeps at most one payment per order.
        await orders.abandonPayment(owner, id, attempt).catch((failure: unknown) => {
          request.log.error({ err: failure, orderId: id }, 'could not give a failed payment back');
        });
        throw error;
      }
      if (!(await orders.completePayment(owner, id, attempt, payment))) {
        request.log.warn({ orderId: id }, 'the payment attempt was taken over after its lease');
        throw new RampartError('SHOP_ORDER_NOT_PENDING', { detail: 'attempt taken over' });
      }
      request.log.info({ orderId: id, paymentId: payment.id }, 'order paid');
      return orders.findFor(owner, id);
    },
  });

  svc.route<{ Params: { id: string } }>({
    method: 'GET',
    url: '/orders/{id}',
    schema: { response: { 200: orderSchema } },
    handler: async (request) => {
      // Another user's order is "not found", exactly like a missing one: no existence oracle.
      const order = await orders.findFor(request.principal.subject, request.params.id);
      if (order === undefined) throw new RampartError('SDK_NOT_FOUND');
      const ratings = await ratingsOf(svc, request, order.items);
      return ratings === undefined ? order : { ...order, ratings };
    },
  });
}

/**
 * The customers' ratings of an order's products, from the reviews service — a Python process
 * behind `rampart sidecar`, called exactly like an SDK service (mTLS, a token exchanged for the
 * hop). Ratings are a nicety: when reviews cannot answer, the order is shown without them.
 */
async function ratingsOf(
  svc: Service,
  request: AuthenticatedRequest,
  items: readonly OrderItem[],
): Promise<Record<string, { average: number; count: number }> | undefined> {
  const skus = [...new Set(items.map((item) => item.sku))].join(',');
  try {
    const answer = await svc.call(request, 'reviews', {
      method: 'GET',
      path: `/ratings?skus=${encodeURIComponent(skus)}`,
    });
    if (answer.status !== 200) {
      request.log.warn({ status: answer.status }, 'reviews answered without ratings');
      return undefined;
    }
    return (answer.body as { ratings: Record<string, { average: number; count: number }> }).ratings;
  } catch (error) {
    request.log.warn({ err: error }, 'reviews could not be asked for ratings');
    return undefined;
  }
}

/**
 * Charges one payment attempt of an order at payments. Only orders may call payments
 * (rampart.yaml); the call carries a token exchanged for that hop, and an `Idempotency-Key`
 * derived from the order and the attempt: a repeated call of this attempt is answered by payments,
 * not run again. (From the order alone, a second attempt with another card after a rejection would
 * be refused as a reused key; payments' own one-payment-per-order rule covers attempts.)
 */
async function charge(
  svc: Service,
  request: AuthenticatedRequest<{ Body: PaymentDetails }>,
  orderId: string,
  attempt: string,
): Promise<{ id: string; last4: string }> {
  const { cardNumber, expiry } = request.body;
  const paid = await svc.call(request, 'payments', {
    method: 'POST',
    path: '/payments',
    body: { orderId, cardNumber, expiry },
    idempotencyKey: `order-${orderId}-attempt-${attempt}`,
  });
  if (paid.status === 400) throw new RampartError('SHOP_CARD_REJECTED');
  if (paid.status === 409) throw new RampartError('SHOP_ORDER_NOT_PENDING', { detail: 'payments: paid' });
  // 201: charged now; 200: this order was already charged, and that payment is the answer.
  if (paid.status !== 201 && paid.status !== 200)
    throw new RampartError('SHOP_PAYMENT_FAILED', { detail: `payments answered ${paid.status}` });
  const { id, last4 } = paid.body as { id: string; last4: string };
  return { id, last4 };
}

/** Migrates the store and adds the routes: everything `main.ts` and the tests need. */
export async function setupOrders(svc: Service): Promise<void> {
  await svc.store.migrate(migrations);
  registerOrderRoutes(svc, createOrderRepository(svc.store));
}
