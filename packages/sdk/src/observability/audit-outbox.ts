import { closeSync, ftruncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Metrics } from './metrics.ts';
import {
  countLines,
  createSegment,
  linesIn,
  listOutbox,
  ownDirectory,
  readAck,
  readSegment,
  removeSegment,
  removeSegmentSync,
  writeAck,
  writeRejected,
  type OutboxPosition,
} from './outbox-files.ts';
import type { SecurityEvent, SecurityEventSink } from './security-events.ts';

export type { OutboxPosition } from './outbox-files.ts';

/** The outbox's directory under the component's state directory. */
export const AUDIT_OUTBOX_DIR = 'audit-outbox';
export const DEFAULT_SEGMENT_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_OUTBOX_BYTES = 256 * 1024 * 1024;
/** Drops are logged at most this often (each is counted). */
const DROP_LOG_INTERVAL_MS = 60_000;

/** The part of a pino logger the outbox and the shipper use. */
export interface AuditLogger {
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface AuditOutboxOptions {
  /** The component's state directory: the outbox is `<stateDir>/audit-outbox/`. */
  readonly stateDir: string;
  readonly log: AuditLogger;
  readonly metrics?: Metrics;
  /** A segment is closed and a new one started once it would grow past this (default 4 MiB). */
  readonly segmentBytes?: number;
  /** Segments and rejected files together; past this new events are dropped (default 256 MiB). */
  readonly maxBytes?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
}

/** Undelivered events read from the outbox, to send and then acknowledge (or reject). */
export interface OutboxBatch {
  /** The events' JSON lines (without the newline), each checked to be a JSON object with an `id`. */
  readonly lines: readonly string[];
  /** The sum of the lines' UTF-8 lengths. */
  readonly bytes: number;
  readonly start: OutboxPosition;
  /** Where the outbox stands once the batch is acknowledged. Equal to `start`: nothing to send. */
  readonly end: OutboxPosition;
  /** Lines (complete or not) the batch covers, the corrupt ones included. */
  readonly consumed: number;
}

export interface OutboxReadLimits {
  readonly maxEvents: number;
  /** Bound on the lines' bytes, one byte more each (the separator). */
  readonly maxBytes: number;
}

/** A {@link SecurityEventSink} keeping events on disk until the audit service has them. */
export interface AuditOutbox extends SecurityEventSink {
  readonly dir: string;
  /** Appends the event; drops and counts it when the outbox is full. Never throws for that. */
  write(event: SecurityEvent): void;
  /** The next undelivered events from the acknowledged position (one segment at most). */
  read(limits: OutboxReadLimits): Promise<OutboxBatch>;
  /** Records `batch` as delivered: it must be the batch read last, from the acknowledged position. */
  acknowledge(batch: OutboxBatch): Promise<void>;
  /** Moves `batch` to a `rejected-….jsonl` file, then acknowledges it; returns the file's path. */
  reject(batch: OutboxBatch): Promise<string>;
  /** `listener` runs after each appended event (the shipper's wake-up). */
  onWrite(listener: () => void): void;
  /** Events written and not yet acknowledged. */
  readonly pendingEvents: number;
  /** Bytes on disk: segments and rejected files. */
  readonly bytes: number;
  close(): void;
}

/**
 * Opens (or creates) the component's audit outbox: an append-only, on-disk queue of security
 * events between `emit` and the audit service, so that an audit outage or a restart loses none.
 * Each event is one JSON line written by one `writeSync` to the current segment (0600, opened with
 * `O_EXCL | O_NOFOLLOW`), so a crash leaves at most one partial last line, which the reader skips.
 * A process always starts a new segment; segments rotate at `segmentBytes`, and one is deleted
 * once the acknowledged position (`ack.json`, replaced atomically) has passed its end. Bounded: at
 * `maxBytes` new events are dropped, counted in `audit_outbox_dropped_total{reason="full"}` and
 * logged at most once a minute — `write` never throws for that, never waits on the network.
 * One process per directory.
 *
 * @example
 * const outbox = openAuditOutbox({ stateDir, log, metrics });
 * const events = createSecurityEvents({ serviceName, sink: outbox, subjectKey, metrics });
 */
export function openAuditOutbox(options: AuditOutboxOptions): AuditOutbox {
  const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_OUTBOX_BYTES;
  if (!Number.isSafeInteger(segmentBytes) || segmentBytes < 4096)
    throw new TypeError('segmentBytes must be an integer of at least 4096');
  if (!Number.isSafeInteger(maxBytes) || maxBytes < segmentBytes)
    throw new TypeError('maxBytes must be an integer of at least segmentBytes');
  const { log, metrics } = options;
  const now = options.now ?? Date.now;
  const dir = join(options.stateDir, AUDIT_OUTBOX_DIR);
  ownDirectory(dir);

  const listing = listOutbox(dir);
  if (listing.ignored.length > 0)
    log.warn({ dir, ignored: listing.ignored }, 'audit outbox: entries that are not regular files ignored');
  /** Segment → size, ascending; the last one is being written. */
  const segments = listing.segments;
  let ack = startingPosition(dir, segments, log);
  for (const segment of segments.keys()) {
    if (segment < ack.segment) {
      removeSegmentSync(dir, segment);
      segments.delete(segment);
    }
  }
  let pending = 0;
  for (const [segment, size] of segments)
    pending += countLines(dir, segment, segment === ack.segment ? ack.offset : 0, size);
  let bytes = listing.rejectedBytes;
  for (const size of segments.values()) bytes += size;

  let current = Math.max(0, ack.segment, ...segments.keys()) + 1;
  let fd = createSegment(dir, current);
  let size = 0;
  let broken = false;
  let open = true;
  segments.set(current, 0);
  if (!segments.has(ack.segment)) {
    // Its segment was delivered and deleted before ack.json could move on.
    const after = ack.segment;
    ack = { segment: [...segments.keys()].find((segment) => segment > after) ?? current, offset: 0 };
  }
  metrics?.auditOutboxPending.set(pending);

  const listeners: (() => void)[] = [];
  let dropped = 0;
  let lastDropLog = -Infinity;

  function drop(reason: 'full' | 'write_failed', error?: unknown): void {
    dropped++;
    metrics?.auditOutboxDropped.inc({ reason });
    const at = now();
    if (at - lastDropLog < DROP_LOG_INTERVAL_MS) return;
    lastDropLog = at;
    log.error(
      { dir, reason, droppedSinceStart: dropped, maxBytes, err: error },
      reason === 'full'
        ? 'audit outbox full: security events are being dropped until the audit service takes them'
        : 'audit outbox: a security event could not be written and was dropped',
    );
  }

  function rotate(): void {
    if (fd >= 0) {
      const closing = fd;
      fd = -1; // never closed twice: the number may belong to another file by then
      try {
        closeSync(closing);
      } catch {
        // Already unusable: the new segment replaces it either way.
      }
    }
    broken = true;
    current++;
    size = 0;
    fd = createSegment(dir, current);
    segments.set(current, 0);
    broken = false;
  }

  function isFinished(segment: number): boolean {
    return segment !== current;
  }

  return {
    dir,
    get pendingEvents() {
      return pending;
    },
    get bytes() {
      return bytes;
    },

    write(event) {
      if (!open) throw new Error('the audit outbox is closed');
      const line = `${JSON.stringify(event)}\n`;
      const length = Buffer.byteLength(line);
      if (bytes + length > maxBytes) {
        drop('full');
        return;
      }
      try {
        if (broken || (size > 0 && size + length > segmentBytes)) rotate();
      } catch (error) {
        drop('write_failed', error);
        return;
      }
      let written = 0;
      let failure: unknown;
      try {
        written = writeSync(fd, line);
      } catch (error) {
        failure = error;
      }
      if (written !== length) {
        // Keep whole lines only: cut what reached the file, or else continue in a new segment.
        try {
          ftruncateSync(fd, size);
        } catch {
          broken = true;
        }
        drop('write_failed', failure);
        return;
      }
      size += length;
      bytes += length;
      segments.set(current, size);
      pending++;
      metrics?.auditOutboxPending.set(pending);
      for (const listener of listeners) listener();
    },

    async read(limits) {
      const start = ack;
      const end = segments.get(start.segment) ?? 0;
      if (start.offset >= end) {
        if (!isFinished(start.segment)) return emptyBatch(start);
        // A finished segment read to its end: the batch moves on to the next one.
        const next = [...segments.keys()].find((segment) => segment > start.segment) ?? current;
        return { lines: [], bytes: 0, start, end: { segment: next, offset: 0 }, consumed: 0 };
      }
      const chunk = await readSegment(
        dir,
        start.segment,
        start.offset,
        Math.min(limits.maxBytes, end - start.offset),
      );
      if (chunk.length === 0) {
        // The file is shorter than what was written to it: someone cut it. Nothing more to read.
        log.error({ dir, segment: start.segment }, 'audit outbox: a segment is shorter than written');
        return { lines: [], bytes: 0, start, end: { segment: start.segment, offset: end }, consumed: 0 };
      }
      const { lines, bytes: used, corrupt: unreadable, next } = linesIn(chunk, limits.maxEvents);
      let corrupt = unreadable;
      let from = next;
      const consumed = lines.length + corrupt;
      if (from === 0 && (start.offset + chunk.length < end || isFinished(start.segment))) {
        // No complete line in reach: a partial last line (a crash mid-write), or a line longer than
        // any event. Skip what was read.
        from = chunk.length;
        corrupt++;
      }
      if (corrupt > 0) {
        metrics?.auditEventsRejected.inc({ reason: 'corrupt' }, corrupt);
        log.warn(
          { dir, segment: start.segment, offset: start.offset, skipped: corrupt },
          'audit outbox: unreadable lines skipped (a partial write?)',
        );
      }
      return {
        lines,
        bytes: used,
        start,
        end: { segment: start.segment, offset: start.offset + from },
        consumed,
      };
    },

    async acknowledge(batch) {
      if (batch.start.segment !== ack.segment || batch.start.offset !== ack.offset)
        throw new TypeError('acknowledge the batch read last, once');
      const next = batch.end;
      const done = [...segments.keys()].filter((segment) => segment < next.segment);
      for (const segment of done) {
        bytes -= segments.get(segment) ?? 0;
        segments.delete(segment);
      }
      ack = next;
      pending = Math.max(0, pending - batch.consumed);
      metrics?.auditOutboxPending.set(pending);
      await writeAck(dir, next);
      for (const segment of done) await removeSegment(dir, segment);
    },

    async reject(batch) {
      const { path, bytes: written } = await writeRejected(dir, batch.start, batch.lines, new Date(now()));
      bytes += written;
      metrics?.auditEventsRejected.inc({ reason: 'refused' }, batch.lines.length);
      await this.acknowledge(batch);
      return path;
    },

    onWrite(listener) {
      listeners.push(listener);
    },

    close() {
      if (!open) return;
      open = false;
      if (fd >= 0) closeSync(fd);
      fd = -1;
    },
  };
}

function emptyBatch(at: OutboxPosition): OutboxBatch {
  return { lines: [], bytes: 0, start: at, end: at, consumed: 0 };
}

/** The acknowledged position on disk, or the start of the oldest segment when there is none. */
function startingPosition(
  dir: string,
  segments: ReadonlyMap<number, number>,
  log: AuditLogger,
): OutboxPosition {
  const oldest = segments.keys().next();
  const first: OutboxPosition = { segment: oldest.done === true ? 0 : oldest.value, offset: 0 };
  const stored = readAck(dir);
  if (stored === null) {
    log.error({ dir }, 'audit outbox: ack.json is unreadable; every kept event will be sent again');
    return first;
  }
  if (stored === undefined) return first;
  const size = segments.get(stored.segment);
  if (size === undefined)
    return stored.segment < first.segment ? first : { segment: stored.segment, offset: 0 };
  return stored.offset > size ? { segment: stored.segment, offset: size } : stored;
}
