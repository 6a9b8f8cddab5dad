import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

const ITERATIONS = 4096;
const SALT_BYTES = 16;

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802, RFC 7677), computed here
 * so `CREATE ROLE … PASSWORD` carries only the verifier: the clear password never reaches the
 * server, its statement log or `pg_stat_statements`. PostgreSQL recognises the format and stores
 * it as is. Passwords are printable ASCII, for which SASLprep is the identity.
 *
 * @example
 * scramSha256Verifier('correct horse battery staple'); // 'SCRAM-SHA-256$4096:…$…:…'
 */
export function scramSha256Verifier(
  password: string,
  salt: Uint8Array = randomBytes(SALT_BYTES),
  iterations = ITERATIONS,
): string {
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
  return `SCRAM-SHA-256$${iterations}:${b64(salt)}$${b64(storedKey)}:${b64(serverKey)}`;
}
