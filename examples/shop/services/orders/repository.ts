import type { Migration, Store } from '@rampart/sdk';

export type OrderStatus = 'pending' | 'paid' | 'cancelled';

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
  /** Marks a pending order of `owner` paid; false when there is no such pending order. */
  markPaid(owner: string, id: string, payment: { id: string; last4: string }): Promise<boolean>;
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
    async markPaid(owner, id, payment) {
      const { changes } = await store.run(
        `UPDATE orders SET status = 'paid', payment_id = ?, card_last4 = ?
         WHERE id = ? AND owner = ? AND status = 'pending'`,
        [payment.id, payment.last4, id, owner],
      );
      return changes === 1;
    },
  };
}
