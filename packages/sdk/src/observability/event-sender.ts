/**
 * How a batch of events went at the other end, as the shipper needs to know it: taken (the outbox
 * moves on), refused as such (sending it again cannot help: it is narrowed down and set aside), or
 * not taken now (retried with backoff).
 */
export type SendAnswer =
  | { readonly kind: 'delivered' }
  | { readonly kind: 'refused'; readonly status?: number; readonly detail?: string }
  | {
      readonly kind: 'retry';
      readonly reason: SendFailure;
      readonly status?: number;
      readonly error?: unknown;
    };

/** Why a batch was not taken: the `reason` label of `audit_ship_failures_total`. */
export type SendFailure = 'unreachable' | 'server_error' | 'client_error' | 'bad_answer';

/**
 * The transport-specific part of the event shipper: it sends one batch and says how that went. The
 * shipper keeps what is common — reading the outbox, batching, backoff, narrowing a refused batch,
 * acknowledging — so the HTTP sender ({@link createHttpEventSender}) and the NATS JetStream one
 * ({@link createNatsEventSender}) share it.
 */
export interface EventSender {
  /** Names the destination in log lines, e.g. `audit service` or `NATS JetStream`. */
  readonly destination: string;
  /**
   * Sends the events (JSON lines, each an object with an `id`) and resolves once the other side has
   * them durably (`delivered`), or with why not. Never rejects; `signal` aborts a send in flight.
   */
  send(lines: readonly string[], signal: AbortSignal): Promise<SendAnswer>;
  /** Closes connections; `force` drops requests in flight rather than waiting for them. */
  close(force: boolean): Promise<void>;
}
