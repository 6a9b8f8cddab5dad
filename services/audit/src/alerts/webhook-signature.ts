import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header carrying `t=<unix seconds>,v1=<hex HMAC-SHA-256>` (Stripe's scheme). */
export const SIGNATURE_HEADER = 'rampart-signature';
/** The header carrying the alert's id: the same on every retry, for the receiver to deduplicate. */
export const WEBHOOK_ID_HEADER = 'rampart-webhook-id';
/** How far a signature's time may be from the receiver's clock (replay window), in seconds. */
export const DEFAULT_TOLERANCE_SECONDS = 300;
/** The shortest signing secret the audit service accepts (bytes): an HMAC key as long as its hash. */
export const MIN_SECRET_BYTES = 32;

const MAX_HEADER_LENGTH = 2048;

/** `v1`: HMAC-SHA-256 over `<timestamp>.<body>`, hex. */
function v1(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret)
    .update(`${String(timestamp)}.${body}`)
    .digest('hex');
}

/**
 * The `Rampart-Signature` value for one delivery attempt: `t=<unix seconds>,v1=<hex>`. Each
 * attempt is signed again with its own time, so a retry after minutes still verifies.
 *
 * @example
 * headers['rampart-signature'] = signatureHeader(secret.reveal(), Math.floor(Date.now() / 1000), body);
 */
export function signatureHeader(secret: string, timestamp: number, body: string): string {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new TypeError('timestamp must be whole seconds since the epoch');
  }
  return `t=${String(timestamp)},v1=${v1(secret, timestamp, body)}`;
}

export interface VerifyOptions {
  /** The shared secret. */
  readonly secret: string;
  /** The `Rampart-Signature` header as received. */
  readonly header: string | undefined;
  /** The raw request body, exactly as received (before any JSON parsing). */
  readonly body: string;
  /** Seconds since the epoch (default: now). */
  readonly now?: number;
  /** Default 300 (5 minutes). */
  readonly toleranceSeconds?: number;
}

/**
 * A receiver's check, the one the README shows: the header parses, its time is within the
 * tolerance of `now`, and one of its `v1` values equals the HMAC of `<t>.<body>` (compared in
 * constant time; several `v1` are allowed, for a secret being rotated). Never throws on input.
 *
 * @example
 * if (!verifyWebhookSignature({ secret, header: req.headers['rampart-signature'], body: rawBody })) reply(400);
 */
export function verifyWebhookSignature(options: VerifyOptions): boolean {
  const { header, secret, body } = options;
  if (typeof header !== 'string' || header.length > MAX_HEADER_LENGTH) return false;
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const equals = part.indexOf('=');
    if (equals < 0) continue;
    const key = part.slice(0, equals).trim();
    const value = part.slice(equals + 1).trim();
    if (key === 't' && /^[0-9]{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestamp === undefined || signatures.length === 0) return false;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return false;
  const expected = Buffer.from(v1(secret, timestamp, body), 'hex');
  return signatures.some((signature) => timingSafeEqual(Buffer.from(signature, 'hex'), expected));
}
