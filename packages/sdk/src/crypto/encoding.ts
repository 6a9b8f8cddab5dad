import { Buffer } from 'node:buffer';

const BASE64URL = /^[A-Za-z0-9_-]*$/;

export function toBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * Strict base64url: only the alphabet, no padding, and the canonical encoding (Node's decoder
 * ignores stray characters and trailing bits — a changed character must not decode the same).
 * `null` when `text` is not exactly the encoding of some bytes.
 */
export function fromBase64url(text: string): Buffer | null {
  if (!BASE64URL.test(text)) return null;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : null;
}

/**
 * An unambiguous encoding of a list of strings, for associated data: each as a 4-byte big-endian
 * byte length and its UTF-8 bytes (so `('ab', 'c')` and `('a', 'bc')` differ).
 */
export function encodeFields(fields: readonly string[]): Buffer {
  const parts: Buffer[] = [];
  for (const field of fields) {
    const bytes = Buffer.from(field, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  }
  return Buffer.concat(parts);
}
