import type { SearchHit } from '../query/index.ts';

/** Most events one export holds; a larger range is exported page by page (`next`). */
export const MAX_EXPORT_EVENTS = 10_000;

/** One JSON line: the event as stored, with its ledger seq. */
export function jsonLine(hit: SearchHit): string {
  return `${JSON.stringify({ seq: hit.seq, ...hit.event })}\n`;
}

type AnyValue =
  | { readonly stringValue: string }
  | { readonly intValue: string }
  | { readonly boolValue: boolean }
  | { readonly doubleValue: number };

interface KeyValue {
  readonly key: string;
  readonly value: AnyValue;
}

/** An OTLP/JSON `LogRecord` (OpenTelemetry logs data model). */
export interface OtlpLogRecord {
  readonly timeUnixNano: string;
  readonly observedTimeUnixNano: string;
  readonly severityNumber: number;
  readonly severityText: string;
  readonly body: { readonly stringValue: string };
  readonly attributes: readonly KeyValue[];
  readonly traceId?: string;
}

/** OTLP/JSON `ExportLogsServiceRequest`, as `POST /v1/logs` of a collector takes it. */
export interface OtlpLogsRequest {
  readonly resourceLogs: readonly {
    readonly resource: { readonly attributes: readonly KeyValue[] };
    readonly scopeLogs: readonly {
      readonly scope: { readonly name: string; readonly version: string };
      readonly logRecords: readonly OtlpLogRecord[];
    }[];
  }[];
}

/** SeverityNumber of the logs data model: INFO (9) for a success, WARN (13) for a failure. */
const SEVERITY = { success: [9, 'INFO'], failure: [13, 'WARN'], unknown: [9, 'INFO'] } as const;

/**
 * The events as one OTLP/JSON `ExportLogsServiceRequest`: one `ResourceLogs` per emitting component
 * (resource attribute `service.name`), each event a `LogRecord` whose body is the event type, whose
 * time is the event's, whose severity is INFO for a success and WARN for a failure, with every
 * field of the event as an attribute under `rampart.` (`rampart.seq`, `rampart.outcome`…) and the
 * event's trace id as the record's.
 */
export function otlpLogs(hits: readonly SearchHit[]): OtlpLogsRequest {
  const byService = new Map<string, OtlpLogRecord[]>();
  for (const hit of hits) {
    const service = typeof hit.event['service'] === 'string' ? hit.event['service'] : 'unknown';
    let records = byService.get(service);
    if (records === undefined) {
      records = [];
      byService.set(service, records);
    }
    records.push(logRecord(hit));
  }
  return {
    resourceLogs: [...byService].map(([service, logRecords]) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeLogs: [{ scope: { name: 'rampart.audit', version: '1' }, logRecords }],
    })),
  };
}

function logRecord(hit: SearchHit): OtlpLogRecord {
  const { event } = hit;
  const millis = typeof event['time'] === 'string' ? Date.parse(event['time']) : Number.NaN;
  const nanos = Number.isFinite(millis) ? `${BigInt(millis) * 1_000_000n}` : '0';
  const outcome = event['outcome'];
  const [severityNumber, severityText] =
    outcome === 'failure' || outcome === 'success' || outcome === 'unknown'
      ? SEVERITY[outcome]
      : SEVERITY.unknown;
  const attributes: KeyValue[] = [{ key: 'rampart.seq', value: { intValue: String(hit.seq) } }];
  for (const [key, value] of Object.entries(event)) {
    if (typeof value === 'string') attributes.push({ key: `rampart.${key}`, value: { stringValue: value } });
    else if (typeof value === 'number')
      attributes.push({ key: `rampart.${key}`, value: { doubleValue: value } });
    else if (typeof value === 'boolean')
      attributes.push({ key: `rampart.${key}`, value: { boolValue: value } });
  }
  const traceId = event['traceId'];
  return {
    timeUnixNano: nanos,
    observedTimeUnixNano: nanos,
    severityNumber,
    severityText,
    body: { stringValue: typeof event['event'] === 'string' ? event['event'] : 'unknown' },
    attributes,
    ...(typeof traceId === 'string' ? { traceId } : {}),
  };
}
