import { PROBLEM_CONTENT_TYPE } from '@rampart/errors';
import type { Store } from '@rampart/sdk';
import { lastSeq, searchEvents, type SearchHit } from '../query/index.ts';
import { AdminDenial } from './admin-auth.ts';
import type { AdminApiOptions, ReadContext } from './admin-api.ts';
import { jsonLine, MAX_EXPORT_EVENTS, otlpLogs } from './export-formats.ts';
import { BadQuery, decodeCursor, encodeCursor, filterOf, limitOf, seqOf } from './query-params.ts';

/** The page size of `GET /audit/v1/events`: 50 by default, at most 500. */
export const DEFAULT_EVENTS_LIMIT = 50;
export const MAX_EVENTS_LIMIT = 500;
/** Events the live feed writes per store read. */
const STREAM_PAGE = 200;
const DEFAULT_HEARTBEAT_MS = 15_000;

/** An event as the API shows it: its ledger seq, then its fields as stored. */
function shown(hit: SearchHit): Record<string, unknown> {
  return { seq: hit.seq, ...hit.event };
}

/** `GET /audit/v1/events`: one page, newest first; `next` is the cursor of the older page. */
export async function eventsPage(
  context: ReadContext,
  store: Store,
): Promise<{ events: Record<string, unknown>[]; next: string | null }> {
  const { query } = context;
  const filter = filterOf(query);
  const limit = limitOf(query, DEFAULT_EVENTS_LIMIT, MAX_EVENTS_LIMIT);
  const before = decodeCursor(query.get('cursor'));
  const page = await searchEvents(store, filter, { limit, ...(before === undefined ? {} : { before }) });
  const next = page.next !== undefined && 'before' in page.next ? encodeCursor(page.next.before) : null;
  return { events: page.events.map(shown), next };
}

/**
 * `GET /audit/v1/export?format=jsonl|otlp`: at most {@link MAX_EXPORT_EVENTS} events (`limit`),
 * newest first, read a page at a time. JSON lines are written as they are read; OTLP is one JSON
 * document. The cursor of the rest is in `Audit-Next-Cursor` (absent at the end).
 */
export async function exportEvents(context: ReadContext, store: Store): Promise<undefined> {
  const { query, reply } = context;
  const format = query.get('format') ?? 'jsonl';
  if (format !== 'jsonl' && format !== 'otlp') throw new BadQuery('format', 'must be jsonl or otlp');
  const filter = filterOf(query);
  const limit = limitOf(query, MAX_EXPORT_EVENTS, MAX_EXPORT_EVENTS);
  let before = decodeCursor(query.get('cursor'));
  const hits: SearchHit[] = [];
  let more = true;
  while (hits.length < limit && more && !context.signal.aborted) {
    const page = await searchEvents(store, filter, {
      limit: Math.min(1000, limit - hits.length),
      ...(before === undefined ? {} : { before }),
    });
    hits.push(...page.events);
    more = page.next !== undefined && 'before' in page.next;
    if (page.next !== undefined && 'before' in page.next) before = page.next.before;
  }
  const headers: Record<string, string> = {
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  };
  if (more && before !== undefined) headers['audit-next-cursor'] = encodeCursor(before);
  if (format === 'otlp') {
    await reply.code(200).headers(headers).type('application/json; charset=utf-8').send(otlpLogs(hits));
    return undefined;
  }
  await reply
    .code(200)
    .headers(headers)
    .type('application/jsonl; charset=utf-8')
    .send(hits.map(jsonLine).join(''));
  return undefined;
}

/**
 * `GET /audit/v1/events/stream`: server-sent events. Starts after `Last-Event-ID` (a reconnecting
 * browser), else `after`, else the head now; writes each new event matching the filter, oldest
 * first, as `id: <seq>` / `event: audit` / `data: <json>`; wakes on every append (`EventFeed`),
 * and every heartbeat (15 s) writes a comment and checks the token again — a stream of an admin who
 * was disabled or whose token expired ends then, recorded as `audit.denied`.
 */
export async function streamEvents(context: ReadContext, options: AdminApiOptions): Promise<undefined> {
  const { query, request, reply, signal } = context;
  // Read through a function: the signal changes across the awaits below.
  const aborted = (): boolean => signal.aborted;
  const filter = filterOf(query);
  const resumeFrom = seqOf('Last-Event-ID', headerOf(request.headers['last-event-id']));
  const after = resumeFrom ?? seqOf('after', query.get('after'));
  await context.recordRead('stream_opened');
  let cursor = after ?? (await lastSeq(options.store));
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'x-request-id': request.id,
  });
  const write = async (text: string): Promise<void> => {
    if (aborted() || res.destroyed) return;
    if (!res.write(text)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          res.off('drain', done);
          signal.removeEventListener('abort', done);
          resolve();
        };
        res.once('drain', done);
        signal.addEventListener('abort', done, { once: true });
      });
    }
  };
  // Sent at once, so the client (and the gateway) sees the stream open before the first event.
  await write(`retry: 2000\n: audit stream from seq ${cursor}\n\n`);
  try {
    while (!aborted()) {
      // Listen before reading: an append between the read and the wait still wakes this loop.
      const woken = options.feed.next(AbortSignal.any([signal, AbortSignal.timeout(heartbeatMs)]));
      let page;
      do {
        page = await searchEvents(options.store, filter, {
          after: cursor,
          order: 'oldest',
          limit: STREAM_PAGE,
        });
        for (const hit of page.events) {
          await write(`id: ${hit.seq}\nevent: audit\ndata: ${JSON.stringify(shown(hit))}\n\n`);
          cursor = hit.seq;
        }
        if (page.next !== undefined && 'after' in page.next) cursor = Math.max(cursor, page.next.after);
      } while (page.next !== undefined && !aborted());
      if (await woken) continue;
      if (aborted()) break;
      await write(': heartbeat\n\n');
      await options.authenticator.authenticate(request.raw.rawHeaders);
    }
  } catch (error) {
    if (error instanceof AdminDenial) {
      await options.own
        .record({
          event: 'audit.denied',
          outcome: 'failure',
          reason: error.deny,
          subject: error.subject ?? context.admin.subject,
          clientId: context.admin.clientId,
          requestId: request.id,
          route: 'GET /audit/v1/events/stream',
        })
        .catch((recordError: unknown) => {
          options.log.error({ err: recordError }, 'audit api: a refusal could not be recorded');
        });
      await write(
        `event: error\ndata: ${JSON.stringify({ code: error.code, type: PROBLEM_CONTENT_TYPE })}\n\n`,
      );
    } else if (!aborted()) {
      options.log.error({ err: error }, 'audit api: the live feed failed');
    }
  }
  if (!res.destroyed) res.end();
  return undefined;
}

function headerOf(value: string | string[] | undefined): string | undefined {
  if (Array.isArray(value)) throw new BadQuery('Last-Event-ID', 'is given more than once');
  return value;
}
