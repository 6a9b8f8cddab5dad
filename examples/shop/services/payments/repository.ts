import type { FieldCipher, Migration, Store } from '@rampart/sdk';

/** What payments keeps and shows: never the card number itself. */
export interface Payment {
  readonly id: string;
  readonly orderId: string;
  readonly last4: string;
}

export interface NewPayment extends Payment {
  readonly cardNumber: string;
  readonly expiry: string;
  readonly createdAt: string;
}

/**
 * The card number and expiry are stored only encrypted (AES-256-GCM, bound to table, column and
 * row), so that a refund or a dispute could use them; nothing ever returns them. The last four
 * digits are kept in clear to show the user which card paid. Portable SQL: embedded or PostgreSQL.
 */
export const migrations: readonly Migration[] = [
  {
    id: '0001-create-payments',
    sql: `CREATE TABLE payments (
      id TEXT PRIMARY KEY,
      owner TEXT NOT NULL,
      order_id TEXT NOT NULL,
      card_number TEXT NOT NULL,
      last4 TEXT NOT NULL CHECK (length(last4) = 4),
      expiry TEXT NOT NULL,
      created_at TEXT NOT NULL
    );
    CREATE INDEX payments_order ON payments (order_id);`,
  },
  {
    // At most one payment per order, enforced by the database: two concurrent charges of one
    // order (two orders replicas, a retry, a race) cannot both insert.
    id: '0002-one-payment-per-order',
    sql: `DROP INDEX payments_order;
    CREATE UNIQUE INDEX payments_one_per_order ON payments (order_id);`,
  },
];

interface PaymentRow {
  id: string;
  order_id: string;
  last4: string;
}

/** What recording a charge did. */
export type RecordOutcome =
  /** This call stored the payment. */
  | { readonly kind: 'created'; readonly payment: Payment }
  /** The order was already charged, for this owner: that first payment, unchanged. */
  | { readonly kind: 'existing'; readonly payment: Payment }
  /** The order id was charged for someone else: nothing is shown or stored. */
  | { readonly kind: 'foreign' };

export interface PaymentRepository {
  /**
   * Stores the payment of an order unless that order already has one: one
   * `INSERT … ON CONFLICT (order_id) DO NOTHING`, so of concurrent charges exactly one inserts.
   */
  record(owner: string, payment: NewPayment): Promise<RecordOutcome>;
  /** The payment if it exists and belongs to `owner`. */
  findFor(owner: string, id: string): Promise<Payment | undefined>;
}

export function createPaymentRepository(store: Store, fields: FieldCipher): PaymentRepository {
  return {
    async record(owner, payment) {
      const context = (column: string) => ({ table: 'payments', column, row: payment.id });
      const [cardNumber, expiry] = await Promise.all([
        fields.encrypt(payment.cardNumber, context('card_number')),
        fields.encrypt(payment.expiry, context('expiry')),
      ]);
      const { changes } = await store.run(
        `INSERT INTO payments (id, owner, order_id, card_number, last4, expiry, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (order_id) DO NOTHING`,
        [payment.id, owner, payment.orderId, cardNumber, payment.last4, expiry, payment.createdAt],
      );
      if (changes === 1) {
        return {
          kind: 'created',
          payment: { id: payment.id, orderId: payment.orderId, last4: payment.last4 },
        };
      }
      const first = await store.get<PaymentRow & { owner: string }>(
        'SELECT id, order_id, last4, owner FROM payments WHERE order_id = ?',
        [payment.orderId],
      );
      if (first === undefined) throw new Error('a conflicting payment vanished');
      if (first.owner !== owner) return { kind: 'foreign' };
      return { kind: 'existing', payment: { id: first.id, orderId: first.order_id, last4: first.last4 } };
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
