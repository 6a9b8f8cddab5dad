// Home-made tokens and password storage.
import crypto from 'node:crypto';

export function newApiToken(): string {
  return Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
}

export function newResetCode(): number {
  const resetCode = Math.floor(Math.random() * 1_000_000);
  return resetCode;
}

export function storePassword(password: string): string {
  return crypto.createHash('sha1').update(password).digest('hex');
}

export function signPayload(payload: string): string {
  return crypto.createHmac('sha256', 's3cr3t').update(payload).digest('base64url');
}

export function encryptNote(password: string, note: string): string {
  const cipher = crypto.createCipher('aes192', password);
  return cipher.update(note, 'utf8', 'hex') + cipher.final('hex');
}

export function encryptCard(key: Buffer, card: string): Buffer {
  const cipher = crypto.createCipheriv('aes-256-ecb', key, null);
  return Buffer.concat([cipher.update(card), cipher.final()]);
}

export function legacyEncrypt(key: Buffer, iv: Buffer, text: string): Buffer {
  const cipher = crypto.createCipheriv('des-ede3-cbc', key, iv);
  return Buffer.concat([cipher.update(text), cipher.final()]);
}

export function cacheKey(body: string): string {
  return crypto.createHash('md5').update(body).digest('hex');
}
