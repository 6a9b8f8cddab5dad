import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { readLogLine, type LogRecord } from './log-record.ts';

/** One component's files, oldest first, and where to stop reading the last one (bytes). */
export interface ComponentFiles {
  readonly component: string;
  readonly files: readonly string[];
  /** Read the last file only up to here (where following it starts); the whole file without it. */
  readonly lastFileEnd?: number;
}

/**
 * The lines of one component in the order written: its rotated files oldest first, then the
 * current one. `keep` sees the raw text first (a cheap test before parsing: `--trace` looks for the
 * id in it). A file that disappears meanwhile (rotated out of `keep`) is skipped.
 */
export async function* componentRecords(
  source: ComponentFiles,
  keep: (text: string) => boolean = () => true,
): AsyncGenerator<LogRecord> {
  const last = source.files.length - 1;
  for (const [index, file] of source.files.entries()) {
    const end = index === last ? source.lastFileEnd : undefined;
    if (end === 0) continue;
    const stream = createReadStream(file, end === undefined ? {} : { end: end - 1 });
    const opened = await new Promise<boolean>((resolve) => {
      stream.once('open', () => {
        resolve(true);
      });
      stream.once('error', () => {
        resolve(false);
      });
    });
    if (!opened) {
      stream.destroy();
      continue;
    }
    let time: number | undefined;
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    try {
      for await (const text of lines) {
        if (text.length === 0) continue;
        if (!keep(text)) {
          // Still timed, so that a line kept after it is placed right.
          if (text.startsWith('{')) time = timeOf(text) ?? time;
          continue;
        }
        const record = readLogLine(source.component, text, time);
        time = record.time;
        yield record;
      }
    } finally {
      lines.close();
      stream.destroy();
    }
  }
}

/** The `"time":<ms>` pino writes near the start of a line, without parsing the whole line. */
function timeOf(text: string): number | undefined {
  const at = text.indexOf('"time":');
  if (at < 0 || at > 64) return undefined;
  const match = /^\d{1,16}/.exec(text.slice(at + 7, at + 24));
  return match === null ? undefined : Number(match[0]);
}

/**
 * Several components' lines as one sequence by time: each source is in the order written, and
 * the earliest head goes next (a line without a time sorts as the line before it in its file).
 * Equal times keep the sources' order. Streams: at most one line per source is held.
 */
export async function* mergeByTime(sources: readonly AsyncIterable<LogRecord>[]): AsyncGenerator<LogRecord> {
  const iterators: AsyncIterator<LogRecord, unknown>[] = sources.map((source) =>
    source[Symbol.asyncIterator](),
  );
  const advance = async (iterator: AsyncIterator<LogRecord, unknown>): Promise<LogRecord | undefined> => {
    const result = await iterator.next();
    return result.done === true ? undefined : result.value;
  };
  const heads = await Promise.all(iterators.map(advance));
  try {
    for (;;) {
      let next = -1;
      for (let i = 0; i < heads.length; i += 1) {
        const head = heads[i];
        if (head === undefined) continue;
        const best = next < 0 ? undefined : heads[next];
        if (best === undefined || (head.time ?? -Infinity) < (best.time ?? -Infinity)) next = i;
      }
      const record = next < 0 ? undefined : heads[next];
      const iterator = iterators[next];
      if (record === undefined || iterator === undefined) return;
      yield record;
      heads[next] = await advance(iterator);
    }
  } finally {
    for (const iterator of iterators) await iterator.return?.();
  }
}
