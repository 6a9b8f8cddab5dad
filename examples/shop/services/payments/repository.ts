import type { Migration, Store } from '@rampart/sdk';

/** What payments keeps and shows: never the card number itself. */
export interface Payment {
  readonly id: string;
  readonly orderId: string;
  readonly last4: string;
}

export interface NewPayment extends Payment {
  readonly expiry: string;
  readonly createdAt: string;
}

/**
 * Only the last four digits and the expiry are stored: with no card processor behind the shop,
 * nothing needs the full number after it has been checked. See ../../README.md.
 */
export const migrations: readonly Migration[] = [
  {
    id: '0001-create-payments',
    sql: `CREATE TABLE payments (
      id TEXT PRIMARY KEY,
      owner TEXT NOT NULL,
      order_id TEXT NOT NULL,
      last4 TEXT NOT NULL CHECK (length(last4) = 4),
      expiry TEXT NOT NULL,
      created_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX payments_order ON payments (order_id);`,
  },
];

interface PaymentRow {
  id: string;
  order_id: string;
  last4: string;
}

export interface PaymentRepository {
  create(owner: string, payment: NewPayment): Promise<void>;
  /** The payment if it exists and belongs to `owner`. */
  findFor(owner: string, id: string): Promise<Payment | undefined>;
}

export function createPaymentRepository(store: Store): PaymentRepository {
  return {
    async create(owner, payment) {
      await store.run(
        'INSERT INTO payments (id, owner, order_id, last4, expiry, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        [payment.id, owner, payment.orderId, payment.last4, payment.expiry, payment.createdAt],
      );
    },
    async findFor(owner, id) {
      const row = await store.get<PaymentRow>(
        'SELECT id, order_id, last4 FROM payments WHERE id = ? AND owner = ?',
        [id, owner],
      );
      return row === undefined ? undefined : { id: row.id, orderId: row.order_id, last4: row.last4 };
    },
  };
}
