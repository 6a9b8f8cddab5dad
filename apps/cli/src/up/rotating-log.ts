import { closeSync, existsSync, fchmodSync, fstatSync, openSync, renameSync, writeSync } from 'node:fs';
import { Writable } from 'node:stream';

/** `logs.maxSizeMb` and `logs.keep` from rampart.yaml, as bytes and a count. */
export interface LogRotation {
  /** Rotate once the file reaches this many bytes (default 10 MiB). */
  readonly maxBytes: number;
  /** Rotated files kept: `<file>.1` (newest) to `<file>.<keep>` (default 5). */
  readonly keep: number;
}

export const DEFAULT_LOG_ROTATION: LogRotation = { maxBytes: 10 * 1024 * 1024, keep: 5 };

/** A partial line longer than this is written out as it is (the only case a line is cut). */
const MAX_PENDING_BYTES = 1024 * 1024;

/**
 * `logs` of a rampart.yaml as a rotation policy.
 *
 * @example
 * new RotatingLog(file, logRotationOf(config.logs));
 */
export function logRotationOf(
  logs: { readonly maxSizeMb?: number; readonly keep?: number } | undefined,
): LogRotation {
  return {
    maxBytes: (logs?.maxSizeMb ?? 10) * 1024 * 1024,
    keep: logs?.keep ?? DEFAULT_LOG_ROTATION.keep,
  };
}

/**
 * A component's log file, rotated by size: whole lines only are written, each with one
 * synchronous write, so a rotation (rename `<file>` → `<file>.1` …, oldest dropped, a new file
 * opened 0600) falls between two lines — never inside one, never losing one. Several sources
 * (stdout, stderr) each get their own line assembler (`lines()`), so their lines never interleave
 * mid-line either. Renamed files keep their mode, 0600.
 *
 * @example
 * const log = new RotatingLog('.rampart/logs/gateway.log', { maxBytes: 10 << 20, keep: 5 });
 * child.stdout.pipe(log.lines());
 */
export class RotatingLog {
  readonly file: string;
  readonly rotation: LogRotation;
  #fd: number;
  #size: number;

  constructor(file: string, rotation: LogRotation = DEFAULT_LOG_ROTATION) {
    if (!Number.isSafeInteger(rotation.keep) || rotation.keep < 1) throw new TypeError('keep must be ≥ 1');
    if (!Number.isSafeInteger(rotation.maxBytes) || rotation.maxBytes < 1)
      throw new TypeError('maxBytes must be ≥ 1');
    this.file = file;
    this.rotation = rotation;
    this.#fd = this.#open();
    this.#size = fstatSync(this.#fd).size;
  }

  /** Appends complete lines (`text` ends with a newline), rotating first when the file is full; after `close`, nothing. */
  writeLines(text: string | Buffer): void {
    const bytes = typeof text === 'string' ? Buffer.from(text) : text;
    if (bytes.length === 0 || this.#fd < 0) return;
    let rest = bytes;
    while (rest.length > 0) {
      const room = this.rotation.maxBytes - this.#size;
      if (rest.length <= room) {
        this.#write(rest);
        return;
      }
      // The whole lines that still fit, then a new file for the rest.
      const cut = room > 0 ? rest.lastIndexOf(0x0a, room - 1) : -1;
      if (cut >= 0) {
        this.#write(rest.subarray(0, cut + 1));
        rest = rest.subarray(cut + 1);
        this.#rotate();
      } else if (this.#size > 0) {
        this.#rotate();
      } else {
        // One line longer than a whole file: it is kept whole, in a file of its own.
        const newline = rest.indexOf(0x0a);
        const end = newline < 0 ? rest.length : newline + 1;
        this.#write(rest.subarray(0, end));
        rest = rest.subarray(end);
      }
    }
  }

  #write(bytes: Buffer): void {
    let written = 0;
    while (written < bytes.length) written += writeSync(this.#fd, bytes, written);
    this.#size += bytes.length;
  }

  /** A writable for one source: it holds a partial line until its newline arrives (or the source ends). */
  lines(): Writable {
    let pending: Buffer = Buffer.alloc(0);
    return new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        const data = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        const end = data.lastIndexOf(0x0a);
        if (end < 0) {
          pending = data;
        } else {
          this.writeLines(data.subarray(0, end + 1));
          pending = Buffer.from(data.subarray(end + 1));
        }
        if (pending.length > MAX_PENDING_BYTES) {
          this.writeLines(Buffer.concat([pending, Buffer.from('\n')]));
          pending = Buffer.alloc(0);
        }
        done();
      },
      final: (done) => {
        if (pending.length > 0) this.writeLines(Buffer.concat([pending, Buffer.from('\n')]));
        pending = Buffer.alloc(0);
        done();
      },
    });
  }

  close(): void {
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
  }

  #open(): number {
    const fd = openSync(this.file, 'a', 0o600);
    fchmodSync(fd, 0o600);
    return fd;
  }

  #rotate(): void {
    closeSync(this.#fd);
    const { keep } = this.rotation;
    for (let n = keep - 1; n >= 1; n -= 1) {
      const from = `${this.file}.${String(n)}`;
      if (existsSync(from)) renameSync(from, `${this.file}.${String(n + 1)}`);
    }
    renameSync(this.file, `${this.file}.1`);
    this.#fd = this.#open();
    this.#size = 0;
  }
}
