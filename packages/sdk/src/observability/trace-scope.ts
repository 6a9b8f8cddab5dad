import { AsyncLocalStorage } from 'node:async_hooks';

/** The W3C ids of the span a piece of work runs in. */
export interface TraceIds {
  /** 32 lower-case hex digits. */
  readonly traceId: string;
  /** 16 lower-case hex digits. */
  readonly spanId: string;
}

const scope = new AsyncLocalStorage<TraceIds>();

/**
 * Runs `fn` — and everything it starts, callbacks and promises included — in the trace scope of
 * `ids`: a logger made with `traceScope: true` adds them to each line, and a security event
 * emitted without a `traceId` takes the scope's. For request handling that is not Fastify's (whose
 * `request.log` is bound to the span's ids by `registerHttpTracing`): identity's, around
 * oidc-provider, whose code logs through the component's one logger.
 *
 * @example
 * runInTraceScope({ traceId, spanId }, () => identity.handle(req, res));
 */
export function runInTraceScope<T>(ids: TraceIds, fn: () => T): T {
  return scope.run(ids, fn);
}

/**
 * The ids of the trace scope this code runs in, if any.
 *
 * @example
 * currentTraceIds()?.traceId; // '4bf92f3577b34da6a3ce929d0e0e4736' inside runInTraceScope
 */
export function currentTraceIds(): TraceIds | undefined {
  return scope.getStore();
}
