// What other packages use of the audit service: its ledger library (to verify a trail without
// trusting the service), the search over it and the layout and messages `rampart up` and `rampart audit` rely on.
export * from './ledger/index.ts';
export * from './query/index.ts';
export { AUDIT_CHECKPOINT_MESSAGE, CHECKPOINT_EXPORT_FILE, LEDGER_FILE, auditLedgerFile } from './layout.ts';
export {
  AuditTrailMissingError,
  openAuditStore,
  openAuditStoreForOperator,
  type OperatorAuditStore,
} from './audit-store.ts';
// The detection rules: the engine, the rule format and the shipped pack (bench, tools).
export {
  createDetector,
  DetectionRuleError,
  loadRules,
  parseRule,
  SHIPPED_RULES_DIR,
  type Alert,
  type DetectionEvent,
  type Detector,
  type Rule,
} from './detection/index.ts';
// The service itself, for a process that embeds it (benchmarks; `main.ts` is how `rampart up` runs it).
export { startAudit, type Audit, type AuditOptions } from './app.ts';
// The alert webhook's signature, for receivers written in TypeScript (and the tests' receiver).
export {
  verifyWebhookSignature,
  signatureHeader,
  SIGNATURE_HEADER,
  WEBHOOK_ID_HEADER,
  DEFAULT_TOLERANCE_SECONDS,
  type WebhookPayload,
} from './alerts/index.ts';
// The NATS JetStream transport: the nats-server configuration it needs (`rampart export nats`, planned, will write it), and the stream's names.
export { natsServerConfig, type NatsServerConfigOptions } from './ingest/nats-server-config.ts';
export { AUDIT_CONSUMER, auditStreamConfig } from './ingest/nats-stream.ts';
