import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';

/** What the passkey script posts to a verify endpoint: the challenge id and the browser's answer. */
export interface PasskeyAnswer<T> {
  readonly challengeId: string;
  readonly response: T;
  readonly name?: string;
}

type Transport = NonNullable<RegistrationResponseJSON['response']['transports']>[number];
const TRANSPORTS: ReadonlySet<unknown> = new Set<Transport>([
  'ble',
  'cable',
  'hybrid',
  'internal',
  'nfc',
  'smart-card',
  'usb',
]);
const B64URL = /^[A-Za-z0-9_-]*$/;
const MAX_FIELD = 16 * 1024;

/** Checks the shape of a posted assertion before it reaches the verifier; undefined if malformed. */
export function parseAuthenticationAnswer(
  body: unknown,
): PasskeyAnswer<AuthenticationResponseJSON> | undefined {
  const base = answerBase(body);
  if (base === undefined) return undefined;
  const response = record(base.credential['response']);
  if (response === undefined) return undefined;
  const clientDataJSON = b64(response['clientDataJSON']);
  const authenticatorData = b64(response['authenticatorData']);
  const signature = b64(response['signature']);
  const userHandle = response['userHandle'] === undefined ? undefined : b64(response['userHandle']);
  if (clientDataJSON === undefined || authenticatorData === undefined || signature === undefined)
    return undefined;
  if (response['userHandle'] !== undefined && userHandle === undefined) return undefined;
  return {
    challengeId: base.challengeId,
    response: {
      id: base.id,
      rawId: base.rawId,
      type: 'public-key',
      clientExtensionResults: {},
      ...attachment(base.credential),
      response: {
        clientDataJSON,
        authenticatorData,
        signature,
        ...(userHandle === undefined ? {} : { userHandle }),
      },
    },
  };
}

/** Checks the shape of a posted attestation (a new passkey); undefined if malformed. */
export function parseRegistrationAnswer(body: unknown): PasskeyAnswer<RegistrationResponseJSON> | undefined {
  const base = answerBase(body);
  if (base === undefined) return undefined;
  const response = record(base.credential['response']);
  if (response === undefined) return undefined;
  const clientDataJSON = b64(response['clientDataJSON']);
  const attestationObject = b64(response['attestationObject']);
  if (clientDataJSON === undefined || attestationObject === undefined) return undefined;
  const rawTransports = response['transports'];
  const transports = Array.isArray(rawTransports)
    ? rawTransports.filter((t): t is Transport => typeof t === 'string' && TRANSPORTS.has(t))
    : [];
  const name = record(body)?.['name'];
  return {
    challengeId: base.challengeId,
    ...(typeof name === 'string' ? { name } : {}),
    response: {
      id: base.id,
      rawId: base.rawId,
      type: 'public-key',
      clientExtensionResults: {},
      ...attachment(base.credential),
      response: {
        clientDataJSON,
        attestationObject,
        transports,
      },
    },
  };
}

function answerBase(
  body: unknown,
): { challengeId: string; id: string; rawId: string; credential: Record<string, unknown> } | undefined {
  const outer = record(body);
  const challengeId = outer?.['challengeId'];
  const credential = record(outer?.['response']);
  if (typeof challengeId !== 'string' || challengeId.length === 0 || challengeId.length > 64)
    return undefined;
  if (credential === undefined || credential['type'] !== 'public-key') return undefined;
  const id = b64(credential['id']);
  const rawId = b64(credential['rawId']);
  if (id === undefined || rawId === undefined || id !== rawId || id.length === 0) return undefined;
  return { challengeId, id, rawId, credential };
}

function attachment(credential: Record<string, unknown>): {
  authenticatorAttachment?: 'platform' | 'cross-platform';
} {
  const value = credential['authenticatorAttachment'];
  return value === 'platform' || value === 'cross-platform' ? { authenticatorAttachment: value } : {};
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function b64(value: unknown): string | undefined {
  return typeof value === 'string' && value.length <= MAX_FIELD && B64URL.test(value) ? value : undefined;
}
