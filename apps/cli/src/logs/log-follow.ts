import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { currentLogFile } from './log-files.ts';
import { readLogLine, type LogRecord } from './log-record.ts';

const CHUNK_BYTES = 64 * 1024;
/** A line still without its newline is held up to this size, then taken as it is. */
const MAX_PARTIAL_BYTES = 1024 * 1024;

interface Followed {
  readonly component: string;
  readonly path: string;
  fd: number;
  ino: number;
  position: number;
  partial: Buffer;
  time: number | undefined;
}

/**
 * Follows the current log file of each component, as `tail -F` does: new whole lines as they are
 * appended; when `rampart up` rotates the file (renames it to `.log.1` and opens a new one), the
 * rest of the renamed file is read through the descriptor still open on it, then the new file
 * from its start; a file truncated under it is read again from its start; a component whose file
 * does not exist yet is picked up when it appears.
 *
 * @example
 * const follower = new LogFollower(dir, ['gateway', 'orders']);
 * setInterval(() => { for (const record of follower.poll()) print(record); }, 250);
 */
export class LogFollower {
  readonly #dir: string;
  readonly #components: readonly string[];
  readonly #followed = new Map<string, Followed>();

  /** Opens each current file now, positioned at its end: `poll` returns what is appended after. */
  constructor(dir: string, components: readonly string[]) {
    this.#dir = dir;
    this.#components = components;
    for (const component of components) {
      const opened = this.#open(component);
      if (opened !== undefined) {
        opened.position = fstatSync(opened.fd).size;
        this.#followed.set(component, opened);
      }
    }
  }

  /** Where following starts in each component's current file (bytes): the history ends there. */
  startOf(component: string): number | undefined {
    return this.#followed.get(component)?.position;
  }

  /** The lines appended since the last call, each component's in order, all sorted by time. */
  poll(): LogRecord[] {
    const records: LogRecord[] = [];
    for (const component of this.#components) {
      let followed = this.#followed.get(component);
      if (followed === undefined) {
        followed = this.#open(component);
        if (followed === undefined) continue;
        this.#followed.set(component, followed);
      }
      const current = inodeOf(followed.path);
      // Whatever is left in the file we have open first: after a rotation, the renamed file's end.
      if (current === followed.ino && fstatSync(followed.fd).size < followed.position) {
        followed.position = 0;
        followed.partial = Buffer.alloc(0);
      }
      this.#drain(followed, records);
      if (current !== undefined && current !== followed.ino) {
        this.#flushPartial(followed, records);
        closeSync(followed.fd);
        const next = this.#open(component);
        if (next === undefined) {
          this.#followed.delete(component);
          continue;
        }
        next.time = followed.time;
        this.#followed.set(component, next);
        this.#drain(next, records);
      }
    }
    // Stable: lines of one component keep their order where times tie.
    return records.sort((a, b) => (a.time ?? 0) - (b.time ?? 0));
  }

  close(): void {
    for (const followed of this.#followed.values()) closeSync(followed.fd);
    this.#followed.clear();
  }

  #open(component: string): Followed | undefined {
    const path = currentLogFile(this.#dir, component);
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return {
      component,
      path,
      fd,
      ino: fstatSync(fd).ino,
      position: 0,
      partial: Buffer.alloc(0),
      time: undefined,
    };
  }

  #drain(followed: Followed, records: LogRecord[]): void {
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    for (;;) {
      const read = readSync(followed.fd, chunk, 0, CHUNK_BYTES, followed.position);
      if (read === 0) return;
      followed.position += read;
      let data = Buffer.concat([followed.partial, chunk.subarray(0, read)]);
      let newline = data.indexOf(0x0a);
      while (newline >= 0) {
        this.#take(followed, data.subarray(0, newline), records);
        data = data.subarray(newline + 1);
        newline = data.indexOf(0x0a);
      }
      followed.partial = Buffer.from(data);
      if (followed.partial.length > MAX_PARTIAL_BYTES) this.#flushPartial(followed, records);
    }
  }

  #flushPartial(followed: Followed, records: LogRecord[]): void {
    if (followed.partial.length > 0) this.#take(followed, followed.partial, records);
    followed.partial = Buffer.alloc(0);
  }

  #take(followed: Followed, line: Buffer, records: LogRecord[]): void {
    const text = line.toString('utf8').replace(/\r$/, '');
    if (text.length === 0) return;
    const record = readLogLine(followed.component, text, followed.time);
    followed.time = record.time;
    records.push(record);
  }
}

function inodeOf(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
