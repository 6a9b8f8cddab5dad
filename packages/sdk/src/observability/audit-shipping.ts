import { componentSpiffeId } from '@rampart/mesh';
import type { MeshCredentials } from '../mesh-agent.ts';
import type { Logger } from '../log/index.ts';
import { openAuditOutbox } from './audit-outbox.ts';
import { createEventShipper } from './event-shipper.ts';
import { createNatsEventSender } from './nats-event-sender.ts';
import type { NatsSettings } from './nats-connection.ts';
import type { Metrics } from './metrics.ts';
import { logSink, type SecurityEventSink } from './security-events.ts';

const STOP_DEADLINE_MS = 1_000;

export interface AuditShippingOptions {
  /** The component's own directory: the outbox is `<stateDir>/audit-outbox/`. */
  readonly stateDir: string;
  /**
   * The audit service (`componentEnv.auditUrl`, `https://127.0.0.1:<ports.audit>` under
   * `rampart up`). Without it — or without `credentials` — events go to the log alone.
   */
  readonly auditUrl: string | undefined;
  readonly trustDomain: string;
  /** The component's workload credentials, read for each connection (they rotate). */
  readonly credentials: (() => MeshCredentials) | undefined;
  /**
   * `storage.nats` of rampart.yaml: when set, batches are published to NATS JetStream instead of
   * posted to the audit service (the outbox stays: a NATS outage loses nothing).
   */
  readonly nats?: NatsSettings | undefined;
  readonly log: Logger;
  readonly metrics?: Metrics;
}

/** Where a component's security events go, and how to stop sending them. */
export interface AuditShipping {
  /** Writes each event to the log (under `securityEvent`) and, with an audit service, to the outbox. */
  readonly sink: SecurityEventSink;
  /**
   * Sends what it can within a second (what is left stays in the outbox for the next start: the
   * whole stop must fit the boot's 4.5 s), then closes the outbox. Call before `events.close()`.
   */
  stop(): Promise<void>;
}

/**
 * The security-event sink of a component under `rampart up`: every event is logged as before and
 * written to the component's on-disk outbox, from which the shipper sends it over mTLS to the
 * audit service (`spiffe://<trust domain>/rampart/audit`) — or, with `storage.nats`, publishes it
 * to NATS JetStream, which the audit service consumes — at least once, in order, surviving
 * restarts of either side. Used by `createService`, identity and each gateway worker.
 *
 * @example
 * const shipping = startAuditShipping({ stateDir, auditUrl: env.auditUrl, trustDomain, credentials: () => workload.current(), log, metrics });
 * const events = createSecurityEvents({ serviceName: 'identity', sink: shipping.sink, subjectKey, metrics });
 */
export function startAuditShipping(options: AuditShippingOptions): AuditShipping {
  const logged = logSink(options.log);
  const { auditUrl, credentials } = options;
  if (auditUrl === undefined || credentials === undefined) {
    return { sink: logged, stop: () => Promise.resolve() };
  }
  const metrics = options.metrics === undefined ? {} : { metrics: options.metrics };
  const outbox = openAuditOutbox({ stateDir: options.stateDir, log: options.log, ...metrics });
  const transport =
    options.nats === undefined
      ? { url: auditUrl, credentials, serverSpiffeId: componentSpiffeId(options.trustDomain, 'audit') }
      : {
          sender: createNatsEventSender({
            settings: options.nats,
            trustDomain: options.trustDomain,
            credentials,
          }),
        };
  const shipper = createEventShipper({ outbox, ...transport, log: options.log, ...metrics });
  return {
    sink: {
      write(event) {
        logged.write(event);
        outbox.write(event);
      },
    },
    async stop() {
      await shipper.stop({ deadlineMs: STOP_DEADLINE_MS });
      outbox.close();
    },
  };
}
