import type { Migration, Store } from '@rampart/sdk';

/** `paying` while one request holds the order to charge it: see `beginPayment`. */
export type OrderStatus = 'pending' | 'paying' | 'paid' | 'cancelled';

/**
 * How long a payment attempt may hold an order in `paying`. An attempt whose process died leaves
 * it there; after this long another request may give it back and try again — safely, because
 * payments records at most one payment per order. Far above the slowest call to payments (10 s).
 */
export const PAYMENT_LEASE_MS = 60_000;

export interface OrderItem {
  readonly sku: string;
  readonly quantity: number;
  readonly unitPriceCents: number;
}

export interface Order {
  readonly id: string;
  readonly status: OrderStatus;
  readonly items: readonly OrderItem[];
  readonly totalCents: number;
  readonly currency: string;
  readonly createdAt: string;
  /** Set once paid: the payment's id and the card's last four digits, never the number. */
  readonly payment?: { readonly id: string; readonly last4: string };
}

export const migrations: readonly Migration[] = [
  {
    id: '0001-create-orders',
    sql: `CREATE TABLE orders (
      id TEXT PRIMARY KEY,
      owner TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'cancelled')),
      total_cents INTEGER NOT NULL CHECK (total_cents >= 0),
      currency TEXT NOT NULL,
      created_at TEXT NOT NULL
    );
    CREATE INDEX orders_owner ON orders (owner, created_at);
    CREATE TABLE order_items (
      order_id TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
      position INTEGER NOT NULL,
      sku TEXT NOT NULL,
      quantity INTEGER NOT NULL CHECK (quantity > 0),
      unit_price_cents INTEGER NOT NULL CHECK (unit_price_cents >= 0),
      PRIMARY KEY (order_id, position)
    );`,
  },
  {
    id: '0002-order-payment',
    sql: `ALTER TABLE orders ADD COLUMN payment_id TEXT;
    ALTER TABLE orders ADD COLUMN card_last4 TEXT;`,
  },
  {
    // The 'paying' state and who holds it. SQLite cannot change a CHECK constraint in place, so
    // the tables are rebuilt (order_items first: dropping orders would cascade to its rows).
    id: '0003-order-paying-state',
    sql: `CREATE TABLE orders_v3 (
      id TEXT PRIMARY KEY,
      owner TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('pending', 'paying', 'paid', 'cancelled')),
      total_cents INTEGER NOT NULL CHECK (total_cents >= 0),
      currency TEXT NOT NULL,
      created_at TEXT NOT NULL,
      payment_id TEXT,
      card_last4 TEXT,
      payment_attempt TEXT,
      paying_since BIGINT
    );
    INSERT INTO orders_v3 (id, owner, status, total_cents, currency, created_at, payment_id, card_last4)
      SELECT id, owner, status, total_cents, currency, created_at, payment_id, card_last4 FROM orders;
    CREATE TABLE order_items_v3 (
      order_id TEXT NOT NULL REFERENCES orders_v3 (id) ON DELETE CASCADE,
      position INTEGER NOT NULL,
      sku TEXT NOT NULL,
      quantity INTEGER NOT NULL CHECK (quantity > 0),
      unit_price_cents INTEGER NOT NULL CHECK (unit_price_cents >= 0),
      PRIMARY KEY (order_id, position)
    );
    INSERT INTO order_items_v3 (order_id, position, sku, quantity, unit_price_cents)
      SELECT order_id, position, sku, quantity, unit_price_cents FROM order_items;
    DROP TABLE order_items;
    DROP TABLE orders;
    ALTER TABLE orders_v3 RENAME TO orders;
    ALTER TABLE order_items_v3 RENAME TO order_items;
    CREATE INDEX orders_owner ON orders (owner, created_at);`,
    postgres: `ALTER TABLE orders DROP CONSTRAINT orders_status_check;
    ALTER TABLE orders ADD CONSTRAINT orders_status_check
      CHECK (status IN ('pending', 'paying', 'paid', 'cancelled'));
    ALTER TABLE orders ADD COLUMN payment_attempt TEXT;
    ALTER TABLE orders ADD COLUMN paying_since BIGINT;`,
  },
];

interface OrderRow {
  id: string;
  status: OrderStatus;
  payment_id: string | null;
  card_last4: string | null;
  total_cents: number;
  currency: string;
  created_at: string;
}

interface ItemRow {
  order_id: string;
  sku: string;
  quantity: number;
  unit_price_cents: number;
}

export interface OrderRepository {
  create(owner: string, order: Order): Promise<void>;
  /** The owner's orders, newest first. */
  listFor(owner: string): Promise<Order[]>;
  /** The order if it exists and belongs to `owner`; otherwise undefined, whichever the reason. */
  findFor(owner: string, id: string): Promise<Order | undefined>;
  /**
   * Takes a pending order of `owner` for one payment `attempt` (pending → paying, one conditional
   * UPDATE): of any number of concurrent attempts exactly one gets true. An order left in `paying`
   * for longer than `PAYMENT_LEASE_MS` (its attempt died) is given back to pending first.
   */
  beginPayment(owner: string, id: string, attempt: string, now?: number): Promise<boolean>;
  /** paying → paid for the attempt that holds the order; false if it no longer does. */
  completePayment(
    owner: string,
    id: string,
    attempt: string,
    payment: { id: string; last4: string },
  ): Promise<boolean>;
  /** paying → pending for the attempt that holds the order: the charge failed, or may be retried. */
  abandonPayment(owner: string, id: string, attempt: string): Promise<void>;
}

export function createOrderRepository(store: Store): OrderRepository {
  async function withItems(rows: readonly OrderRow[]): Promise<Order[]> {
    if (rows.length === 0) return [];
    const placeholders = rows.map(() => '?').join(', ');
    const items = await store.all<ItemRow>(
      `SELECT order_id, sku, quantity, unit_price_cents FROM order_items
       WHERE order_id IN (${placeholders}) ORDER BY order_id, position`,
      rows.map((row) => row.id),
    );
    return rows.map((row) => ({
      id: row.id,
      status: row.status,
      totalCents: row.total_cents,
      currency: row.currency,
      createdAt: row.created_at,
      ...(row.payment_id === null || row.card_last4 === null
        ? {}
        : { payment: { id: row.payment_id, last4: row.card_last4 } }),
      items: items
        .filter((item) => item.order_id === row.id)
        .map((item) => ({ sku: item.sku, quantity: item.quantity, unitPriceCents: item.unit_price_cents })),
    }));
  }

  return {
    async create(owner, order) {
      await store.transaction(async (tx) => {
        await tx.run(
          'INSERT INTO orders (id, owner, status, total_cents, currency, created_at) VALUES (?, ?, ?, ?, ?, ?)',
          [order.id, owner, order.status, order.totalCents, order.currency, order.createdAt],
        );
        for (const [position, item] of order.items.entries()) {
          await tx.run(
            'INSERT INTO order_items (order_id, position, sku, quantity, unit_price_cents) VALUES (?, ?, ?, ?, ?)',
            [order.id, position, item.sku, item.quantity, item.unitPriceCents],
          );
        }
      });
    },
    async listFor(owner) {
      const rows = await store.all<OrderRow>(
        `SELECT id, status, total_cents, currency, created_at, payment_id, card_last4 FROM orders
         WHERE owner = ? ORDER BY created_at DESC, id LIMIT 100`,
        [owner],
      );
      return withItems(rows);
    },
    async findFor(owner, id) {
      const row = await store.get<OrderRow>(
        'SELECT id, status, total_cents, currency, created_at, payment_id, card_last4 FROM orders WHERE id = ? AND owner = ?',
        [id, owner],
      );
      return row === undefined ? undefined : (await withItems([row]))[0];
    },
    async beginPayment(owner, id, attempt, now = Date.now()) {
      await store.run(
        `UPDATE orders SET status = 'pending', payment_attempt = NULL, paying_since = NULL
         WHERE id = ? AND owner = ? AND status = 'paying' AND paying_since <= ?`,
        [id, owner, now - PAYMENT_LEASE_MS],
      );
      return store.transition('orders', id, {
        from: 'pending',
        to: 'paying',
        set: { payment_attempt: attempt, paying_since: now },
        where: { owner },
      });
    },
    completePayment(owner, id, attempt, payment) {
      return store.transition('orders', id, {
        from: 'paying',
        to: 'paid',
        set: { payment_id: payment.id, card_last4: payment.last4, paying_since: null },
        where: { owner, payment_attempt: attempt },
      });
    },
    async abandonPayment(owner, id, attempt) {
      await store.transition('orders', id, {
        from: 'paying',
        to: 'pending',
        set: { payment_attempt: null, paying_since: null },
        where: { owner, payment_attempt: attempt },
      });
    },
  };
}
