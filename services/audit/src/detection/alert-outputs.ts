import { Counter, type Registry } from 'prom-client';
import type { Logger } from '@rampart/sdk';
import type { Alert } from './alert.ts';

export interface AlertOutputs {
  /** Counts and logs one alert; never throws into the event path. */
  publish(alert: Alert): void;
}

export interface AlertOutputOptions {
  /** The audit service's metrics registry: `audit_alerts_total{rule,severity}` is registered on it. */
  readonly registry: Registry;
  readonly log: Logger;
  /** Where else each alert goes, after the counter and the log (the webhook's queue): must not block or throw. */
  readonly forward?: (alert: Alert) => void;
}

/**
 * Where alerts go: a Prometheus counter, and one log line under `alert` — at `warn`, at `error` for
 * high and critical — which `rampart up` shows in its terminal. The line carries the alert as
 * built (rule, severity, group, count, evidence as ledger seqs and event ids): pseudonymous
 * subjects and addresses, never a token or a person's name. Then `forward` (the alert webhook's
 * queue, when configured).
 *
 * @example
 * const outputs = alertOutputs({ registry: metrics.registry, log });
 * outputs.publish(alert);
 */
export function alertOutputs(options: AlertOutputOptions): AlertOutputs {
  const { log } = options;
  const alerts = new Counter({
    name: 'audit_alerts_total',
    help: 'Alerts raised by the detection rules, by rule id and severity.',
    labelNames: ['rule', 'severity'] as const,
    registers: [options.registry],
  });
  return {
    publish(alert) {
      alerts.inc({ rule: alert.rule, severity: alert.severity });
      const message = `alert ${alert.rule}: ${alert.title}`;
      if (alert.severity === 'high' || alert.severity === 'critical') log.error({ alert }, message);
      else log.warn({ alert }, message);
      options.forward?.(alert);
    },
  };
}
