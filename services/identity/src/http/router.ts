import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * A handler for a part of the issuer's space. `path` is the request path below the mount
 * (`/interaction/abc`), without the query. It returns false when it does not handle the path.
 */
export type PathHandler = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean>;

/** Sends a small JSON answer (RFC 6749 error shape for errors). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
