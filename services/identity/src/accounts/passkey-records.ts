import { codePointLength } from './password-text.ts';

const TRANSPORTS = new Set(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']);
/** A credential id is at most 1023 bytes (WebAuthn §5.8.3): 1364 base64url characters. */
const MAX_CREDENTIAL_ID = 1364;
const MAX_NAME = 64;

/** A registered passkey, as listed to its owner. */
export interface Passkey {
  /** base64url. */
  readonly credentialId: string;
  readonly name: string;
  readonly transports: readonly string[];
  /** Synced to the user's other devices (a multi-device credential that is backed up). */
  readonly backedUp: boolean;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
}

/** A `passkeys` row. */
export interface PasskeyRow {
  readonly credential_id: string;
  readonly user_id: string;
  readonly public_key: Uint8Array;
  readonly counter: number;
  readonly transports: string;
  readonly name: string;
  readonly backed_up: number;
  readonly created_at: number;
  readonly last_used_at: number | null;
}

/** The columns of {@link PasskeyRow}. */
export const PASSKEY_COLUMNS =
  'credential_id, user_id, public_key, counter, transports, name, backed_up, created_at, last_used_at';

/** What a row shows its owner (never the public key or counter). */
export function toPasskey(row: PasskeyRow): Passkey {
  return {
    credentialId: row.credential_id,
    name: row.name,
    transports: parseTransports(row.transports),
    backedUp: row.backed_up === 1,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

/** Whether `value` can be a credential id at all (a base64url string of at most 1023 bytes). */
export function isCredentialId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_CREDENTIAL_ID;
}

/** The WebAuthn user handle of a user: the bytes of its id, base64url (as registered). */
export function userHandle(userId: string): string {
  return Buffer.from(userId, 'utf8').toString('base64url');
}

/** An `allowCredentials` / `excludeCredentials` entry. */
export function descriptor(row: PasskeyRow): { id: string; transports: string[] } {
  return { id: row.credential_id, transports: parseTransports(row.transports) };
}

/** The known transports among `transports`, deduplicated and sorted (clients send what they like). */
export function cleanTransports(transports: readonly unknown[] | undefined): string[] {
  if (!Array.isArray(transports)) return [];
  return [
    ...new Set(transports.filter((t): t is string => typeof t === 'string' && TRANSPORTS.has(t))),
  ].sort();
}

/** The `transports` column (JSON) back as a clean list. */
export function parseTransports(json: string): string[] {
  try {
    const parsed: unknown = JSON.parse(json);
    return Array.isArray(parsed) ? cleanTransports(parsed) : [];
  } catch {
    return [];
  }
}

/** A passkey's name: 1–64 code points, no control characters. */
export function isPasskeyName(name: string): boolean {
  const length = codePointLength(name);
  return name.isWellFormed() && !/\p{Cc}/u.test(name) && length >= 1 && length <= MAX_NAME;
}
