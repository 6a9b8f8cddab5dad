import {
  chmodSync,
  closeSync,
  constants,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  unlinkSync,
} from 'node:fs';
import { chmod, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The audit outbox's files, all in one directory the component owns (0700):
 *
 * - `segment-<16 digits>.jsonl` — events, one JSON line each, appended; numbered in write order;
 * - `ack.json` — `{"segment":n,"offset":m}`: everything before byte m of segment n was delivered;
 * - `rejected-<time>-<segment>-<offset>.jsonl` — events the audit service refused, kept for a person.
 */

/** A byte offset in a segment. */
export interface OutboxPosition {
  readonly segment: number;
  readonly offset: number;
}

export interface OutboxListing {
  /** Segment number → size in bytes, in ascending order. */
  readonly segments: Map<number, number>;
  readonly rejectedBytes: number;
  /** Entries that are not what their name says (a link, a directory): ignored. */
  readonly ignored: readonly string[];
}

const SEGMENT = /^segment-(\d{16})\.jsonl$/;
const REJECTED = /^rejected-[0-9TZ-]+\.jsonl$/;
const ACK_FILE = 'ack.json';
const ACK_TEMP = 'ack.json.tmp';
const READ_CHUNK = 1024 * 1024;
const NEWLINE = 0x0a;

export const SEGMENT_FLAGS =
  constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;
const REPLACE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;

export function segmentPath(dir: string, segment: number): string {
  return join(dir, `segment-${String(segment).padStart(16, '0')}.jsonl`);
}

/**
 * Creates `dir` (0700) or takes it as it is, after checking it is a real directory of this user —
 * not a link someone planted to make the component write elsewhere — and resetting it to 0700.
 */
export function ownDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  if (!stat.isDirectory()) throw new Error(`${dir} is not a directory (a symbolic link?)`);
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) throw new Error(`${dir} belongs to another user`);
  chmodSync(dir, 0o700);
}

/** The segments and rejected files in `dir`; a left-over temporary ack file is removed. */
export function listOutbox(dir: string): OutboxListing {
  const segments: [number, number][] = [];
  const ignored: string[] = [];
  let rejectedBytes = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = lstatSync(path);
    if (name === ACK_TEMP) {
      unlinkSync(path);
      continue;
    }
    if (name === ACK_FILE) continue;
    const segment = SEGMENT.exec(name);
    if (!stat.isFile() || (segment === null && !REJECTED.test(name))) ignored.push(name);
    else if (segment === null) rejectedBytes += stat.size;
    else segments.push([Number(segment[1]), stat.size]);
  }
  segments.sort(([a], [b]) => a - b);
  return { segments: new Map(segments), rejectedBytes, ignored };
}

/** The acknowledged position on disk, `undefined` if there is none, `null` if it is unreadable. */
export function readAck(dir: string): OutboxPosition | undefined | null {
  let text: string;
  try {
    const fd = openSync(join(dir, ACK_FILE), READ_FLAGS);
    try {
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return null;
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return null;
    const { segment, offset } = value as Record<string, unknown>;
    if (!Number.isSafeInteger(segment) || !Number.isSafeInteger(offset)) return null;
    if ((segment as number) < 0 || (offset as number) < 0) return null;
    return { segment: segment as number, offset: offset as number };
  } catch {
    return null;
  }
}

/** Replaces `ack.json` atomically: a temporary file, written and synced, renamed over it. */
export async function writeAck(dir: string, position: OutboxPosition): Promise<void> {
  const temp = join(dir, ACK_TEMP);
  const handle = await open(temp, REPLACE_FLAGS, 0o600);
  try {
    await handle.writeFile(JSON.stringify({ segment: position.segment, offset: position.offset }));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, join(dir, ACK_FILE));
}

/** Removes a delivered segment; one already gone is fine. */
export async function removeSegment(dir: string, segment: number): Promise<void> {
  try {
    await unlink(segmentPath(dir, segment));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** The same, when opening. */
export function removeSegmentSync(dir: string, segment: number): void {
  try {
    unlinkSync(segmentPath(dir, segment));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Reads `length` bytes of a segment at `offset` (fewer if the file is shorter). */
export async function readSegment(
  dir: string,
  segment: number,
  offset: number,
  length: number,
): Promise<Buffer> {
  const handle = await open(segmentPath(dir, segment), READ_FLAGS);
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, offset);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Complete lines in a segment from `offset` to `end` (synchronous: used once, when opening). */
export function countLines(dir: string, segment: number, offset: number, end: number): number {
  if (offset >= end) return 0;
  const fd = openSync(segmentPath(dir, segment), READ_FLAGS);
  try {
    const buffer = Buffer.alloc(Math.min(READ_CHUNK, end - offset));
    let lines = 0;
    for (let at = offset; at < end;) {
      const read = readSync(fd, buffer, 0, Math.min(buffer.length, end - at), at);
      if (read === 0) break;
      for (let i = buffer.indexOf(NEWLINE, 0); i !== -1 && i < read; i = buffer.indexOf(NEWLINE, i + 1))
        lines++;
      at += read;
    }
    return lines;
  } finally {
    closeSync(fd);
  }
}

/** Writes refused events aside, 0600, one JSON line each; returns the file's path and size. */
export async function writeRejected(
  dir: string,
  at: OutboxPosition,
  lines: readonly string[],
  now: Date,
): Promise<{ path: string; bytes: number }> {
  const stamp = now.toISOString().replaceAll(/[:.]/g, '').replace(/-/g, '');
  const path = join(dir, `rejected-${stamp}-${at.segment}-${at.offset}.jsonl`);
  const content = lines.map((line) => `${line}\n`).join('');
  const handle = await open(path, REPLACE_FLAGS, 0o600);
  try {
    // By path: the permission model disables fchmod.
    await chmod(path, 0o600);
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { path, bytes: Buffer.byteLength(content) };
}

/** Opens a new segment for appending: created 0600, never an existing file or a link. */
export function createSegment(dir: string, segment: number): number {
  // O_EXCL: always a new file, so its mode is 0600 as created (a umask only removes bits). No
  // fchmod: the permission model every component runs under disables it.
  return openSync(segmentPath(dir, segment), SEGMENT_FLAGS, 0o600);
}

/**
 * The complete lines at the start of `chunk`, at most `maxEvents` of them (unreadable ones
 * included): those that are what the outbox writes — a JSON object with a string `id` — their
 * bytes, how many were unreadable, and the offset after the last line taken.
 */
export function linesIn(
  chunk: Buffer,
  maxEvents: number,
): { lines: string[]; bytes: number; corrupt: number; next: number } {
  const lines: string[] = [];
  let bytes = 0;
  let corrupt = 0;
  let next = 0;
  for (
    let newline = chunk.indexOf(NEWLINE);
    newline !== -1 && lines.length + corrupt < maxEvents;
    newline = chunk.indexOf(NEWLINE, next)
  ) {
    const line = chunk.toString('utf8', next, newline);
    if (isEventLine(line)) {
      lines.push(line);
      bytes += newline - next;
    } else corrupt++;
    next = newline + 1;
  }
  return { lines, bytes, corrupt, next };
}

function isEventLine(line: string): boolean {
  try {
    const value: unknown = JSON.parse(line);
    return (
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      typeof (value as Record<string, unknown>)['id'] === 'string'
    );
  } catch {
    return false;
  }
}
