import type { MessagePort } from 'node:worker_threads';
import type { RampartConfig } from '@rampart/config';
import type { WorkloadCredentials } from '@rampart/mesh';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';

/** What a worker thread is started with: everything `buildGateway` needs, as the main thread holds it now. */
export interface WorkerData {
  readonly index: number;
  readonly revision: number;
  readonly config: RampartConfig;
  readonly redisUrl?: string;
  readonly tls: TlsPair;
  /** The root the issuer's key set is fetched with; absent: the system's trust store. */
  readonly issuerCa?: string;
  /** The directory of the `external` upstreams' pinned CAs (`buildGateway`'s `externalCaDir`). */
  readonly externalCaDir?: string;
  readonly signingKeyPem: string;
  readonly pseudonymKey: Uint8Array;
  readonly credentials: WorkloadCredentials;
  readonly followRevocations: boolean;
  readonly logLevel: string;
  /** Several workers bind the public port side by side (SO_REUSEPORT). */
  readonly sharePort: boolean;
  /** The main thread's counters (rate limits, penalty boxes, DPoP proof ids) when workers share them. */
  readonly counters?: MessagePort;
  /**
   * Where security events go besides the log: each worker keeps its own outbox under
   * `<stateDir>/worker-<index>/` and ships it to the audit service at `url`.
   */
  readonly audit?: { readonly stateDir: string; readonly url: string };
  /**
   * The values of `telemetry.traces.headers` (the collector's credential), when rampart.yaml sets
   * it: each worker exports its own spans (`startTraceExport`, one tracer provider per thread).
   */
  readonly telemetryHeaders?: Readonly<Record<string, string>>;
}

export interface TlsPair {
  readonly cert: string;
  readonly key: string;
}

export type Metrics = MetricObjectWithValues<MetricValue<string>>[];

/** Main thread → worker. */
export type ToWorker =
  | { readonly type: 'config'; readonly revision: number; readonly config: RampartConfig }
  | { readonly type: 'tls'; readonly tls: TlsPair }
  | { readonly type: 'external-ca' }
  | { readonly type: 'credentials'; readonly credentials: WorkloadCredentials }
  | { readonly type: 'metrics'; readonly id: number }
  | { readonly type: 'stop' };

/** Worker → main thread. */
export type FromWorker =
  | { readonly type: 'listening' }
  | { readonly type: 'config.applied'; readonly revision: number }
  | { readonly type: 'config.rejected'; readonly revision: number; readonly reason: string }
  | { readonly type: 'metrics'; readonly id: number; readonly metrics: Metrics }
  | { readonly type: 'stopped' };
