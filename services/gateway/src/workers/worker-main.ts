// One gateway worker thread: builds the gateway from what the main thread gave it, listens on the
// public port beside its siblings (SO_REUSEPORT) and follows the main thread's messages.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { trustDomainOf } from '@rampart/config';
import {
  configRefusalReason,
  createLogger,
  rampartVersion,
  startAuditShipping,
  startTraceExport,
} from '@rampart/sdk';
import { buildGateway } from '../app.ts';
import { threadCounters } from '../shared-state/index.ts';
import type { FromWorker, ToWorker, WorkerData } from './messages.ts';

const data = workerData as WorkerData;
const port = parentPort;
if (port === null) throw new Error('worker-main.ts runs as a worker thread of the gateway (workers/)');
const send = (message: FromWorker): void => {
  port.postMessage(message);
};

const log = createLogger('gateway', { level: data.logLevel }).child({ worker: data.index });
let credentials = data.credentials;
const counters = data.counters === undefined ? undefined : threadCounters(data.counters);
// One outbox per worker: an outbox belongs to one writer, and a restarted worker takes its own back.
const outboxDir = data.audit === undefined ? undefined : join(data.audit.stateDir, `worker-${data.index}`);
if (outboxDir !== undefined) mkdirSync(outboxDir, { recursive: true, mode: 0o700 });
const shipping = startAuditShipping({
  stateDir: outboxDir ?? '',
  auditUrl: data.audit?.url,
  trustDomain: trustDomainOf(data.config),
  credentials: () => credentials,
  nats: data.config.storage?.nats,
  log,
});
// This thread's spans (a tracer provider is per thread), before the gateway's metrics are made so
// they count the export. The gateway is the edge: it samples by trace id, whatever a client asked.
const traceSettings = data.config.telemetry?.traces;
const traces =
  traceSettings === undefined
    ? undefined
    : await startTraceExport({
        settings: traceSettings,
        headers: data.telemetryHeaders,
        serviceName: 'gateway',
        serviceVersion: rampartVersion(),
        system: data.config.name,
        trustDomain: trustDomainOf(data.config),
        edge: true,
        log,
      });
const gateway = buildGateway({
  config: data.config,
  ...(data.redisUrl === undefined ? {} : { redisUrl: data.redisUrl }),
  log,
  tls: data.tls,
  ...(data.issuerCa === undefined ? {} : { issuerCa: data.issuerCa }),
  ...(data.externalCaDir === undefined ? {} : { externalCaDir: data.externalCaDir }),
  signingKeyPem: data.signingKeyPem,
  pseudonymKey: data.pseudonymKey,
  eventSink: shipping.sink,
  credentials: () => credentials,
  followRevocations: data.followRevocations,
  worker: { sharePort: data.sharePort, ...(counters === undefined ? {} : { counters }) },
  initialRevision: data.revision,
});

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'config':
      try {
        gateway.applyConfig(message.revision, message.config);
        send({ type: 'config.applied', revision: message.revision });
      } catch (error) {
        log.error({ err: error }, 'configuration not applied');
        send({ type: 'config.rejected', revision: message.revision, reason: configRefusalReason(error) });
      }
      break;
    case 'tls':
      gateway.setTls(message.tls);
      break;
    case 'external-ca':
      try {
        gateway.reloadExternalCas();
      } catch (error) {
        log.error({ reason: (error as Error).message }, 'pinned CA not reloaded: the one in force is kept');
      }
      break;
    case 'credentials':
      credentials = message.credentials;
      gateway.rotateCredentials();
      break;
    case 'metrics':
      void gateway.metrics().then((metrics) => {
        send({ type: 'metrics', id: message.id, metrics });
      });
      break;
    case 'stop':
      void gateway
        .stop()
        .catch((error: unknown) => {
          log.error({ err: error }, 'worker stop failed');
        })
        .then(() => shipping.stop())
        .catch((error: unknown) => {
          log.error({ err: error }, 'audit shipping stop failed');
        })
        .then(() => traces?.stop())
        .finally(() => {
          counters?.close();
          send({ type: 'stopped' });
          port.close();
        });
      break;
  }
});

await gateway.start();
send({ type: 'listening' });
