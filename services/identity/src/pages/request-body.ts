import { readAtMost, type BodySource } from '../http/read-at-most.ts';

/** Largest form a page posts (a username, a password, a token): anything bigger is refused unread. */
export const FORM_LIMIT_BYTES = 8 * 1024;
/** Largest JSON body (a WebAuthn response with its attestation). */
export const JSON_LIMIT_BYTES = 64 * 1024;

export type BodyResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly status: 400 | 413 | 415 };

/**
 * Reads an `application/x-www-form-urlencoded` body of at most `limit` bytes. Refuses another media
 * type (415), a larger body (413, before reading more than the limit) and invalid UTF-8 (400).
 */
export async function readForm(
  req: BodySource,
  limit = FORM_LIMIT_BYTES,
): Promise<BodyResult<URLSearchParams>> {
  if (mediaType(req) !== 'application/x-www-form-urlencoded') return { ok: false, status: 415 };
  const body = await readBody(req, limit);
  if (!body.ok) return body;
  return { ok: true, value: new URLSearchParams(body.value) };
}

/** Reads an `application/json` body of at most `limit` bytes (415, 413, 400 as {@link readForm}). */
export async function readJson(req: BodySource, limit = JSON_LIMIT_BYTES): Promise<BodyResult<unknown>> {
  if (mediaType(req) !== 'application/json') return { ok: false, status: 415 };
  const body = await readBody(req, limit);
  if (!body.ok) return body;
  try {
    return { ok: true, value: JSON.parse(body.value) as unknown };
  } catch {
    return { ok: false, status: 400 };
  }
}

/** A form field as one string: absent or repeated fields are undefined (never guessed). */
export function field(form: URLSearchParams, name: string, maxLength = 1024): string | undefined {
  const values = form.getAll(name);
  const [value] = values;
  if (values.length !== 1 || value === undefined || value.length > maxLength) return undefined;
  return value;
}

function mediaType(req: BodySource): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

async function readBody(
  req: BodySource,
  limit: number,
): Promise<
  { readonly ok: true; readonly value: string } | { readonly ok: false; readonly status: 400 | 413 }
> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return { ok: false, status: 413 };
  }
  let bytes: Buffer;
  try {
    bytes = await readAtMost(req, limit, () => new BodyTooLarge());
  } catch (error) {
    if (!(error instanceof BodyTooLarge)) throw error;
    // A streamed body past the limit: the request is destroyed, nothing more is read (as a
    // `for await` loop left early does); a declared one above is refused unread, as above.
    req.destroy();
    return { ok: false, status: 413 };
  }
  try {
    return { ok: true, value: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { ok: false, status: 400 };
  }
}

/** The body passed the limit while it was read (answered 413). */
class BodyTooLarge extends Error {
  constructor() {
    super('request body too large');
  }
}
