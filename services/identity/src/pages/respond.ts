import type { ServerResponse } from 'node:http';

/**
 * Sends a whole HTML page. `no-store`: pages carry CSRF tokens, TOTP secrets or recovery codes, and
 * must not be kept by any cache or shown again by the back button from disk.
 */
export function sendPage(
  res: ServerResponse,
  status: number,
  markup: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  res.writeHead(status, {
    ...headers,
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(markup),
  });
  res.end(markup);
}

/** 303 See Other to a path of this origin (after a form post: the browser then GETs it). */
export function seeOther(res: ServerResponse, location: string): void {
  res.writeHead(303, { location, 'cache-control': 'no-store', 'content-length': 0 });
  res.end();
}
