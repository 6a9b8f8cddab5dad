/** One server-sent event (the fields the console reads). */
export interface StreamMessage {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

/**
 * Reads a `text/event-stream` answer (HTML Living Standard §9.2.6) fetched with a bearer token —
 * `EventSource` cannot send one — and hands each complete event to `onMessage`. Resolves when the
 * stream ends; rejects on a network error or an HTTP refusal (`status`).
 */
export async function readEventStream(
  url: string,
  token: string,
  signal: AbortSignal,
  onMessage: (message: StreamMessage) => void,
  onOpen: () => void = () => undefined,
): Promise<void> {
  const res = await fetch(url, {
    credentials: 'omit',
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    signal,
  });
  if (!res.ok || res.body === null)
    throw Object.assign(new Error(`HTTP ${res.status}`), { status: res.status });
  onOpen();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    const blocks = buffer.split(/\r\n\r\n|\n\n|\r\r/u);
    buffer = blocks.pop() ?? '';
    for (const block of blocks) {
      const message = parseBlock(block);
      if (message !== undefined) onMessage(message);
    }
  }
}

function parseBlock(block: string): StreamMessage | undefined {
  let id: string | undefined;
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split(/\r\n|\n|\r/u)) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /u, '');
    if (field === 'id') id = value;
    else if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return data.length === 0 ? undefined : { id, event, data: data.join('\n') };
}
