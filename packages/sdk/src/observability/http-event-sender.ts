import { parseSpiffeId } from '@rampart/mesh';
import { request, type Agent } from 'undici';
import { meshAgent, type MeshCredentials } from '../mesh-agent.ts';
import type { EventSender, SendAnswer } from './event-sender.ts';

/** The path events are posted to, on the audit service's base URL. */
export const AUDIT_EVENTS_PATH = '/v1/events';
/** Statuses that say the batch itself is unacceptable: sending it again cannot help. */
const REFUSED_STATUSES: ReadonlySet<number> = new Set([400, 413, 415, 422]);
const MAX_ANSWER_BYTES = 64 * 1024;

export interface HttpEventSenderOptions {
  /** The audit service's base URL, `https://127.0.0.1:<port>` (events go to `<url>/v1/events`). */
  readonly url: string;
  /** The component's workload credentials, read for each connection (they rotate). */
  readonly credentials: () => MeshCredentials;
  /** The SPIFFE ID the audit service must prove; any other server is never sent an event. */
  readonly serverSpiffeId: string;
  /** Per request: connecting, the headers and the body each. */
  readonly timeoutMs: number;
}

/**
 * The embedded transport: `POST <url>/v1/events` with `{"events":[…]}` over mTLS 1.3 with the
 * workload certificate, to a server proving `serverSpiffeId`. Delivered once a 2xx answer
 * `{"accepted":n,"duplicates":m}` counts the whole batch; 400, 413, 415 and 422 refuse the batch
 * as such; anything else (no connection, a 5xx, another 4xx, a bad answer) is retried.
 *
 * @example
 * const sender = createHttpEventSender({ url: 'https://127.0.0.1:8447', credentials: () => identity.current(),
 *   serverSpiffeId: componentSpiffeId(trustDomain, 'audit'), timeoutMs: 10_000 });
 */
export function createHttpEventSender(options: HttpEventSenderOptions): EventSender {
  const url = new URL(AUDIT_EVENTS_PATH, options.url);
  if (url.protocol !== 'https:') throw new TypeError('url must be https: events travel over mTLS only');
  if (parseSpiffeId(options.serverSpiffeId) === null)
    throw new TypeError('serverSpiffeId must be a SPIFFE ID, e.g. spiffe://shop.local/rampart/audit');
  const { timeoutMs } = options;
  const connections = connectionsTo(options.credentials, options.serverSpiffeId, timeoutMs);
  return {
    destination: 'audit service',
    async send(lines, signal): Promise<SendAnswer> {
      const body = `{"events":[${lines.join(',')}]}`;
      let status: number;
      let text: string;
      try {
        const response = await request(url, {
          dispatcher: connections.agent(),
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body,
          signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
        });
        status = response.statusCode;
        text = await response.body.text();
      } catch (error) {
        return { kind: 'retry', reason: 'unreachable', error };
      }
      if (status >= 200 && status < 300) {
        return isReceipt(text, lines.length)
          ? { kind: 'delivered' }
          : { kind: 'retry', reason: 'bad_answer', status };
      }
      if (REFUSED_STATUSES.has(status)) return { kind: 'refused', status };
      return { kind: 'retry', reason: status >= 500 ? 'server_error' : 'client_error', status };
    },
    close: (force) => connections.close(force),
  };
}

/**
 * `{"accepted":n,"duplicates":m,"conflicts":c}` with n + m + c = the batch's size (`conflicts`
 * optional: ids held with other content, final — sending them again changes nothing).
 */
function isReceipt(text: string, count: number): boolean {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return false;
    const { accepted, duplicates, conflicts = 0 } = value as Record<string, unknown>;
    const counts = [accepted, duplicates, conflicts];
    return (
      counts.every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0) &&
      counts.reduce<number>((sum, n) => sum + (n as number), 0) === count
    );
  } catch {
    return false;
  }
}

/** One agent for the current credentials; a new one (and the old closed) when they change. */
function connectionsTo(
  credentials: () => MeshCredentials,
  serverSpiffeId: string,
  timeoutMs: number,
): { agent(): Agent; close(force: boolean): Promise<void> } {
  let current: { readonly credentials: MeshCredentials; readonly agent: Agent } | undefined;
  return {
    agent() {
      const now = credentials();
      if (current !== undefined && sameCredentials(current.credentials, now)) return current.agent;
      const previous = current?.agent;
      current = {
        credentials: now,
        agent: meshAgent(now, serverSpiffeId, { timeoutMs, maxResponseBytes: MAX_ANSWER_BYTES }),
      };
      previous?.close().catch(() => undefined);
      return current.agent;
    },
    async close(force) {
      const agent = current?.agent;
      current = undefined;
      if (agent === undefined) return;
      await (force ? agent.destroy() : agent.close());
    },
  };
}

/** Whether two sets of workload credentials are the same (a renewal makes new ones). */
export function sameCredentials(a: MeshCredentials, b: MeshCredentials): boolean {
  return (
    a.certPem === b.certPem &&
    a.keyPem === b.keyPem &&
    a.caPems.length === b.caPems.length &&
    a.caPems.every((pem, i) => pem === b.caPems[i])
  );
}
