// The audit live feed as a browser holds it: one HTTP/2 session to the gateway (node:http2, TLS,
// ALPN h2), one long-lived GET of `/audit/v1/events/stream` with the admin token, read as
// server-sent events. Records when each event arrived, by the request id it carries, so that a
// benchmark can match every denial it caused to its event on the feed.
// Used by bench/audit-feed-delay.ts.
import { connect, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import { performance } from 'node:perf_hooks';

export interface FeedReaderOptions {
  /** `https://127.0.0.1:<gateway>` */
  readonly origin: string;
  /** The path and query of the feed, e.g. `/audit/v1/events/stream?event=request.denied`. */
  readonly path: string;
  readonly token: string;
  /** The CA bundle the gateway's certificate chains to. */
  readonly ca: string;
}

export interface FeedReader {
  /** When (`performance.now()`) the event with this request id first arrived. */
  readonly arrivals: ReadonlyMap<string, number>;
  /** Events seen a second time for the same request id. */
  readonly duplicates: number;
  /** Events on the feed (with a request id). */
  readonly events: number;
  /** Why the stream ended, if it did: the HTTP/2 reset code or an error; `undefined` while open. */
  readonly ended: string | undefined;
  /** The protocol the session negotiated (`h2`). */
  readonly alpn: string | undefined;
  close(): void;
}

/** One server-sent event block's `data` (HTML Living Standard §9.2.6: `data:` lines joined by `\n`). */
function dataOf(block: string): string | undefined {
  const data: string[] = [];
  for (const line of block.split(/\r\n|\n|\r/u)) {
    if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /u, ''));
  }
  return data.length === 0 ? undefined : data.join('\n');
}

/** Opens the feed; resolves once the gateway answered 200 and the stream is open. */
export async function openFeed(options: FeedReaderOptions): Promise<FeedReader> {
  const session: ClientHttp2Session = connect(options.origin, { ca: options.ca });
  session.on('error', () => undefined);
  const arrivals = new Map<string, number>();
  let duplicates = 0;
  let events = 0;
  let ended: string | undefined;
  const stream: ClientHttp2Stream = session.request({
    ':method': 'GET',
    ':path': options.path,
    authorization: `Bearer ${options.token}`,
    accept: 'text/event-stream',
  });
  stream.end();
  stream.setEncoding('utf8');
  let buffer = '';
  stream.on('data', (chunk: string) => {
    const at = performance.now();
    buffer += chunk;
    const blocks = buffer.split(/\r\n\r\n|\n\n|\r\r/u);
    buffer = blocks.pop() ?? '';
    for (const block of blocks) {
      const data = dataOf(block);
      if (data === undefined) continue;
      const requestId = (JSON.parse(data) as { requestId?: unknown }).requestId;
      if (typeof requestId !== 'string') continue;
      events++;
      if (arrivals.has(requestId)) {
        duplicates++;
        continue;
      }
      arrivals.set(requestId, at);
    }
  });
  stream.on('close', () => {
    ended ??= `stream closed (HTTP/2 code ${stream.rstCode})`;
  });
  stream.on('error', (error: Error) => {
    ended ??= error.message;
  });
  const status = await new Promise<number>((resolve, reject) => {
    stream.once('response', (headers) => {
      resolve(Number(headers[':status']));
    });
    stream.once('error', reject);
    session.once('error', reject);
  });
  if (status !== 200) {
    session.destroy();
    throw new Error(`the live feed answered ${status}, not 200`);
  }
  return {
    arrivals,
    get duplicates() {
      return duplicates;
    },
    get events() {
      return events;
    },
    get ended() {
      return ended;
    },
    alpn: session.alpnProtocol,
    close() {
      stream.close();
      session.close();
    },
  };
}
