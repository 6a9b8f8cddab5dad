import { createReadStream } from 'node:fs';
import { chmod, open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { SignedCheckpoint } from './checkpoint.ts';

/** One line of the export file, as JSON: hashes in hex, the signature in base64url. */
export interface ExportedCheckpointJson {
  readonly seq: number;
  readonly head: string;
  readonly time: string;
  readonly prunedThrough?: number;
  readonly signature: string;
}

export function checkpointToJson(checkpoint: SignedCheckpoint): ExportedCheckpointJson {
  return {
    seq: checkpoint.seq,
    head: Buffer.from(checkpoint.head).toString('hex'),
    time: checkpoint.time,
    ...(checkpoint.prunedThrough === undefined ? {} : { prunedThrough: checkpoint.prunedThrough }),
    signature: Buffer.from(checkpoint.signature).toString('base64url'),
  };
}

/** Parses one export line; a `TypeError` names the problem (never the line's content). */
export function parseExportedCheckpoint(line: string): SignedCheckpoint {
  const value: unknown = JSON.parse(line);
  if (typeof value !== 'object' || value === null) throw new TypeError('an exported checkpoint is an object');
  const { seq, head, time, prunedThrough, signature } = value as Record<string, unknown>;
  if (!Number.isSafeInteger(seq) || typeof seq !== 'number' || seq < 0)
    throw new TypeError('seq: an integer');
  if (typeof head !== 'string' || !/^[0-9a-f]{64}$/.test(head)) throw new TypeError('head: 64 hex digits');
  if (typeof time !== 'string') throw new TypeError('time: a string');
  if (typeof signature !== 'string' || !/^[A-Za-z0-9_-]+$/.test(signature))
    throw new TypeError('signature: base64url');
  const base = { seq, head: Buffer.from(head, 'hex'), time, signature: Buffer.from(signature, 'base64url') };
  if (prunedThrough === undefined) return base;
  if (typeof prunedThrough !== 'number' || !Number.isSafeInteger(prunedThrough))
    throw new TypeError('prunedThrough: an integer');
  return { ...base, prunedThrough };
}

/**
 * Appends checkpoints to the export file as JSON lines and flushes them to disk. The file is
 * created with mode 0600 and kept at 0600.
 */
export async function appendToExportFile(
  file: string,
  checkpoints: readonly SignedCheckpoint[],
): Promise<void> {
  if (checkpoints.length === 0) return;
  const handle = await open(file, 'a', 0o600);
  try {
    // By path: the permission model the audit service runs under disables fchmod.
    await chmod(file, 0o600);
    await handle.appendFile(checkpoints.map((c) => `${JSON.stringify(checkpointToJson(c))}\n`).join(''));
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/**
 * Reads an export file (JSON lines, as `appendToExportFile` writes them). A line that does not
 * parse throws a `TypeError` naming its line number: the verifier's own evidence must be intact.
 */
export async function readExportFile(file: string): Promise<SignedCheckpoint[]> {
  const checkpoints: SignedCheckpoint[] = [];
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let number = 0;
  for await (const line of lines) {
    number++;
    if (line.trim() === '') continue;
    try {
      checkpoints.push(parseExportedCheckpoint(line));
    } catch (cause) {
      throw new TypeError(`${file}, line ${number}: not an exported checkpoint`, { cause });
    }
  }
  return checkpoints;
}
