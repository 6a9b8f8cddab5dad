import type { IncomingHttpHeaders } from 'node:http';
import { RampartError } from '@rampart/errors';

/** Request bodies a route accepts unless it lists others. */
export const DEFAULT_CONTENT_TYPES: readonly string[] = ['application/json'];

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function mediaTypeOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const type = header.split(';', 1)[0]?.trim().toLowerCase();
  return type === undefined || type.length === 0 ? undefined : type;
}

/** Whether the request announces a body (a positive Content-Length or any Transfer-Encoding). */
export function hasBody(headers: IncomingHttpHeaders): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = headers['content-length'];
  return length !== undefined && length !== '0';
}

/**
 * Throws `SDK_UNSUPPORTED_MEDIA_TYPE` when a request has a body whose media type the route does
 * not accept (a missing Content-Type counts as unsupported).
 */
export function requireAllowedContentType(headers: IncomingHttpHeaders, allowed: readonly string[]): void {
  if (!hasBody(headers)) return;
  const type = mediaTypeOf(headers['content-type']);
  if (type === undefined || !allowed.includes(type)) {
    throw new RampartError('SDK_UNSUPPORTED_MEDIA_TYPE', { detail: `content type ${type ?? '(none)'}` });
  }
}
