export {
  createAlertWebhook,
  type AlertWebhook,
  type AlertWebhookOptions,
  type DeliveryResult,
  type WebhookPayload,
} from './alert-webhook.ts';
export {
  DEFAULT_TOLERANCE_SECONDS,
  MIN_SECRET_BYTES,
  SIGNATURE_HEADER,
  WEBHOOK_ID_HEADER,
  signatureHeader,
  verifyWebhookSignature,
  type VerifyOptions,
} from './webhook-signature.ts';
export {
  backoffDelay,
  retryAfterMs,
  outcomeOfStatus,
  DEFAULT_BACKOFF,
  type Backoff,
} from './retry-policy.ts';
export { BoundedQueue } from './bounded-queue.ts';
