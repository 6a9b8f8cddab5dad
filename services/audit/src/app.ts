import { createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Server as TlsServer } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { Counter } from 'prom-client';
import { listenHost, platformPorts, type RampartConfig, type Secret } from '@rampart/config';
import type { WorkloadCredentials } from '@rampart/mesh';
import {
  buildHttpApp,
  createTracer,
  createMetrics,
  metricsExposition,
  readinessOf,
  registerHttpMetrics,
  storeCheck,
  type BootAdmin,
  type Logger,
  type Metrics,
  type Store,
} from '@rampart/sdk';
import { createAlertWebhook, MIN_SECRET_BYTES, type AlertWebhook } from './alerts/index.ts';
import {
  createAdminAuthenticator,
  createEventFeed,
  createOwnEvents,
  createReidentifier,
  createSubjectResolver,
  registerAdminApi,
  topologyOf,
} from './api/index.ts';
import { openAlertStore } from './detection/alert-store.ts';
import {
  alertOutputs,
  createDetector,
  loadConfiguredRules,
  weeklyWindow,
  type Rule,
} from './detection/index.ts';
import type { StoredEvent } from './ingest/event-schema.ts';
import { registerIngestRoute, type OnStored } from './ingest/ingest-route.ts';
import { startNatsConsumer, type NatsConsumer } from './ingest/nats-consumer.ts';
import { startRetention } from './retention.ts';
import { openAuditStore } from './audit-store.ts';
import { CHECKPOINT_EXPORT_FILE } from './layout.ts';
import { openLedger, readExportFile, type Ledger, type SignedCheckpoint } from './ledger/index.ts';
import { verifyTrail } from './query/index.ts';

export interface AuditOptions {
  readonly config: RampartConfig;
  readonly stateDir: string;
  /** The directory of rampart.yaml: `${file:…}` references in `storage.sql.url` and `audit.rules.dir` are relative to it. */
  readonly configDir: string;
  /** The Ed25519 private key (PKCS#8 PEM file) that signs checkpoints. */
  readonly signingKeyFile: string;
  readonly trustDomain: string;
  /** The audit service's workload identity: it serves mTLS with it and trusts the mesh's roots. */
  readonly credentials: () => WorkloadCredentials;
  readonly log: Logger;
  /** Overrides `ports.audit` / `ports.auditAdmin` (0: any free port, for tests). */
  readonly port?: number;
  readonly adminPort?: number;
  /** The detection rules (default: `audit.rules` — the shipped pack, `services/audit/rules/`, and `dir`). */
  readonly rules?: readonly Rule[];
  /** The key signing webhook deliveries, required when `audit.alerts.webhook` is set (`rampart up` hands it over IPC). */
  readonly webhookSecret?: Secret;
  /** Extra trust anchors (PEM) for the webhook receiver's certificate (tests, a private CA). */
  readonly webhookCa?: string;
  /** Told of each checkpoint once stored and exported (the boot sends it to `rampart up`). */
  readonly onCheckpoint?: (checkpoint: SignedCheckpoint) => void;
  /** The revision `config` is (the boot's); the topology the API shows names it. */
  readonly revision?: number;
  /** How long identity's verdict on an admin token is reused (default 10 s; tests shorten it). */
  readonly adminCheckTtlMs?: number;
}

export interface Audit {
  /** `https://127.0.0.1:<port>`, where components send their events. */
  readonly url: string;
  readonly ledger: Ledger;
  readonly metrics: Metrics;
  /** The alert webhook's sender, when `audit.alerts.webhook` is set. */
  readonly webhook: AlertWebhook | undefined;
  /** What the boot serves on the admin port. */
  readonly admin: BootAdmin;
  /** New connections use the renewed workload certificate; open ones finish undisturbed. */
  rotateCredentials(): void;
  /** A new revision of rampart.yaml: the topology the API shows follows it. */
  applyConfig(revision: number, config: RampartConfig): void;
  close(): Promise<void>;
}

/**
 * Starts the audit service: the tamper-evident ledger on its embedded store, and the mTLS endpoint
 * every component sends its security events to (`POST /v1/events`).
 *
 * @example
 * const audit = await startAudit({ config, stateDir, signingKeyFile, trustDomain, credentials: () => workload.current(), log });
 */
export async function startAudit(options: AuditOptions): Promise<Audit> {
  const { config, stateDir, trustDomain, log } = options;
  const ports = platformPorts(config);
  // A rule that does not load stops the start, naming the file, the rule and the field.
  const rules = options.rules ?? loadConfiguredRules(config.audit, options.configDir);
  const webhookConfig = config.audit?.alerts?.webhook;
  if (webhookConfig !== undefined && options.webhookSecret === undefined) {
    throw new TypeError('audit.alerts.webhook is set but no webhook secret was handed over');
  }
  if (
    options.webhookSecret !== undefined &&
    Buffer.byteLength(options.webhookSecret.reveal()) < MIN_SECRET_BYTES
  ) {
    throw new TypeError(`the alert webhook's secret must be at least ${String(MIN_SECRET_BYTES)} bytes`);
  }
  const signingKey = createPrivateKey(readFileSync(options.signingKeyFile));
  const store: Store = await openAuditStore(config, stateDir, options.configDir);
  let ledger: Ledger;
  try {
    ledger = await openLedger({
      store,
      signingKey,
      exportFile: join(stateDir, CHECKPOINT_EXPORT_FILE),
      checkpointEvery: {
        ...(config.audit?.checkpointEvery === undefined ? {} : { events: config.audit.checkpointEvery }),
        ...(config.audit?.checkpointIntervalSeconds === undefined
          ? {}
          : { seconds: config.audit.checkpointIntervalSeconds }),
      },
      ...(options.onCheckpoint === undefined ? {} : { onCheckpoint: options.onCheckpoint }),
      onError: (error) => {
        log.error({ err: error }, 'audit ledger background work failed');
      },
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  const metrics = createMetrics('audit');
  const events = new Counter({
    name: 'audit_events_total',
    help: 'Security events received, by sending component and result (accepted, duplicate, conflict; refused: a NATS message terminated).',
    labelNames: ['source', 'result'] as const,
    registers: [metrics.registry],
  });
  const adminWindow = config.audit?.adminWindow;
  const detector = createDetector({
    rules,
    ...(adminWindow === undefined ? {} : { adminWindow: weeklyWindow(adminWindow) }),
  });
  const webhook: AlertWebhook | undefined =
    webhookConfig === undefined || options.webhookSecret === undefined
      ? undefined
      : createAlertWebhook({
          url: webhookConfig.url,
          secret: options.webhookSecret,
          system: config.name,
          log,
          registry: metrics.registry,
          ...(webhookConfig.minSeverity === undefined ? {} : { minSeverity: webhookConfig.minSeverity }),
          ...(options.webhookCa === undefined ? {} : { ca: options.webhookCa }),
        });
  const alerts = alertOutputs({
    registry: metrics.registry,
    log,
    ...(webhook === undefined
      ? {}
      : {
          forward: (alert) => {
            webhook.enqueue(alert);
          },
        }),
  });
  if (webhook !== undefined) {
    log.info({ webhook: new URL(webhookConfig?.url ?? '').origin }, 'alerts are sent to a webhook');
  }
  log.info({ rules: rules.length, maxWindowedEvents: detector.maxEntries }, 'detection rules loaded');
  // Alerts are kept (they survive a restart; the API lists them), counted by how storing went.
  const alertStore = await openAlertStore(store);
  const alertsStored = new Counter({
    name: 'audit_alerts_stored_total',
    help: 'Alerts written to the audit store, by result (stored, failed).',
    labelNames: ['result'] as const,
    registers: [metrics.registry],
  });
  const feed = createEventFeed();
  /** Every event the ledger appended, ingested or the service's own: detection, then the live feed. */
  const onAppended = (appended: readonly { seq: number; event: StoredEvent }[]): void => {
    // After the commit, before the answer: synchronous and bounded, and it never fails the batch.
    for (const { seq, event } of appended) {
      try {
        for (const alert of detector.evaluate(event, { seq, id: event.id })) {
          alerts.publish(alert);
          alertStore.add(alert).then(
            () => {
              alertsStored.inc({ result: 'stored' });
            },
            (error: unknown) => {
              alertsStored.inc({ result: 'failed' });
              log.error({ err: error, alert: alert.id }, 'an alert could not be stored');
            },
          );
        }
      } catch (error) {
        log.error({ err: error, seq }, 'detection failed on an event');
      }
    }
    if (appended.length > 0) feed.notify();
  };
  const own = createOwnEvents({ ledger, trustDomain, onAppended });
  const authenticator = createAdminAuthenticator({
    trustDomain,
    identityPort: ports.identity,
    credentials: options.credentials,
    ...(options.adminCheckTtlMs === undefined ? {} : { ttlMs: options.adminCheckTtlMs }),
  });
  // Re-identification: identity answers, for an admin token it accepts at that moment.
  const resolver = createSubjectResolver({
    trustDomain,
    identityPort: ports.identity,
    credentials: options.credentials,
  });
  const publicKey = createPublicKey(signingKey);
  const exportFile = join(stateDir, CHECKPOINT_EXPORT_FILE);
  let current = { config, revision: options.revision ?? 0 };
  const credentials = options.credentials();
  const app: FastifyInstance = buildHttpApp({
    logger: log,
    // A SERVER span per request (the admin API's is a child of the gateway's /audit mount call).
    tracer: createTracer('audit'),
    tls: { key: credentials.keyPem, cert: credentials.certPem, ca: credentials.caPems, trustDomain },
  });
  registerHttpMetrics(app, metrics);
  const onStored: OnStored = (source, answer, appended) => {
    events.inc({ source, result: 'accepted' }, answer.accepted);
    events.inc({ source, result: 'duplicate' }, answer.duplicates);
    events.inc({ source, result: 'conflict' }, answer.conflicts);
    if (answer.conflicts > 0) {
      log.warn({ source, conflicts: answer.conflicts }, 'events reused an id with other content');
    }
    onAppended(appended);
  };
  registerIngestRoute(app, { ledger, trustDomain, onStored });
  const api = registerAdminApi(app, {
    store,
    trustDomain,
    authenticator,
    own,
    feed,
    alerts: alertStore,
    topology: () => topologyOf(current.config, current.revision),
    verify: async () =>
      verifyTrail(store, {
        publicKey,
        exportedCheckpoints: existsSync(exportFile) ? await readExportFile(exportFile) : [],
      }),
    reidentifier: createReidentifier({ resolver }),
    log,
  });
  const stopRetention =
    config.audit?.retentionDays === undefined
      ? () => undefined
      : startRetention({ ledger, store, retentionDays: config.audit.retentionDays, log });
  let url: string;
  let consumer: NatsConsumer | undefined;
  try {
    url = await app.listen({ host: listenHost(), port: options.port ?? ports.audit });
    const nats = config.storage?.nats;
    if (nats !== undefined) {
      if (!nats.url.startsWith('tls://')) {
        log.warn(
          { nats: nats.url },
          "storage.nats is unauthenticated (dangerouslyAllowUnauthenticated): any process reaching NATS can publish events in any component's name; they are stored with source nats-unauthenticated:<component>",
        );
      }
      consumer = startNatsConsumer({
        settings: nats,
        trustDomain,
        credentials: options.credentials,
        ledger,
        log,
        onStored,
        onRefused: ({ component, reason }) => {
          events.inc({ source: component ?? 'unknown', result: 'refused' });
          own
            .record({
              event: 'audit.event_refused',
              outcome: 'failure',
              reason,
              ...(component === undefined ? {} : { peer: component }),
            })
            .catch((error: unknown) => {
              log.error({ err: error }, 'a refused NATS message could not be recorded');
            });
        },
      });
      log.info({ nats: nats.url }, 'security events are consumed from NATS JetStream once it is reachable');
    }
  } catch (error) {
    await app.close();
    stopRetention();
    await webhook?.close();
    await authenticator.close();
    await resolver.close();
    await ledger.close();
    await store.close();
    throw error;
  }
  return {
    url,
    ledger,
    metrics,
    webhook,
    admin: {
      port: options.adminPort ?? ports.auditAdmin,
      notReady: readinessOf([storeCheck(store)]),
      metrics: metricsExposition(metrics),
    },
    rotateCredentials() {
      const next = options.credentials();
      if (app.server instanceof TlsServer) {
        app.server.setSecureContext({ key: next.keyPem, cert: next.certPem, ca: [...next.caPems] });
      }
      authenticator.rotate();
      resolver.rotate();
    },
    applyConfig(revision, next) {
      current = { config: next, revision };
    },
    async close() {
      stopRetention();
      // Live feeds end first: an open stream would hold the server's close.
      api.close();
      await consumer?.close();
      await app.close();
      await webhook?.close();
      await authenticator.close();
      await resolver.close();
      await ledger.close();
      await store.close();
    },
  };
}
