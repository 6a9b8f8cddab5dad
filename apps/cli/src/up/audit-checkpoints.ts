import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  appendToExportFile,
  AUDIT_CHECKPOINT_MESSAGE,
  checkpointSignatureValid,
  parseExportedCheckpoint,
} from '@rampart/audit';

/**
 * The supervisor's copy of the audit trail's checkpoints, out of the audit service's reach: the
 * audit service sends each checkpoint it signs over its IPC channel; the supervisor checks its
 * signature with the public key and that it moves forward, then appends it to a file only the
 * supervisor can write (`.rampart/audit-checkpoints.jsonl`, 0600). `rampart audit verify` compares
 * the stored trail with this copy, so that deleting the tail of the audit store (which its owner
 * can do) is detected.
 */
export class AuditCheckpointCopy {
  readonly #file: string;
  readonly #publicKey: KeyObject;
  readonly #onRefused: (reason: string) => void;
  #lastSeq = -1;
  #writing: Promise<void> = Promise.resolve();

  constructor(file: string, publicKeyFile: string, onRefused: (reason: string) => void) {
    this.#file = file;
    this.#publicKey = createPublicKey(readFileSync(publicKeyFile));
    this.#onRefused = onRefused;
  }

  /** Handles one message from the audit service's process; returns whether it was a checkpoint. */
  receive(message: unknown): boolean {
    if (typeof message !== 'object' || message === null || !('type' in message)) return false;
    if (message.type !== AUDIT_CHECKPOINT_MESSAGE) return false;
    const line = 'checkpoint' in message ? JSON.stringify(message.checkpoint) : undefined;
    let checkpoint;
    try {
      checkpoint = parseExportedCheckpoint(line ?? 'null');
    } catch (error) {
      this.#onRefused(`malformed checkpoint: ${(error as Error).message}`);
      return true;
    }
    if (!checkpointSignatureValid(checkpoint, this.#publicKey)) {
      this.#onRefused(`checkpoint at seq ${checkpoint.seq} is not signed by the audit signing key`);
      return true;
    }
    if (checkpoint.seq < this.#lastSeq) {
      this.#onRefused(`checkpoint at seq ${checkpoint.seq} goes back from seq ${this.#lastSeq}`);
      return true;
    }
    this.#lastSeq = checkpoint.seq;
    this.#writing = this.#writing
      .then(() => appendToExportFile(this.#file, [checkpoint]))
      .catch((error: unknown) => {
        this.#onRefused(`cannot write ${this.#file}: ${(error as Error).message}`);
      });
    return true;
  }

  /** Resolves once every received checkpoint is on disk. */
  flushed(): Promise<void> {
    return this.#writing;
  }
}
