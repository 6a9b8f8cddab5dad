import type { Http2SecureServer } from 'node:http2';
import type { Socket } from 'node:net';
import type { Logger, SecurityEvents } from '@rampart/sdk';
import { isClientGone } from '../request/index.ts';

/** Node's own error codes (HPE_INVALID_METHOD, ERR_HTTP2_ERROR…), in the shape events accept. */
const NODE_CODE = /^[A-Z]+(?:_[A-Z0-9]+){0,8}$/u;

/** Answers node:http writes itself for an HTTP/1.1 request it could not parse or wait for. */
const RAW_ANSWERS: Readonly<Record<string, string>> = {
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
};

/**
 * What the listener does with errors below the request handler: an HTTP/1.1 request llhttp refuses
 * (`clientError`: answered 400, 408 or 431 and closed) and an HTTP/2 session error (`sessionError`).
 * Only real refusals — input the parser rejected, a client too slow to send its headers — are
 * `request.denied` security events; a client that went away (a reset, a cancelled stream, a closed
 * session: `isClientGone`) is logged at debug, as it is no attack and alerting on it would drown
 * the real ones.
 */
export function watchConnectionErrors(server: Http2SecureServer, log: Logger, events: SecurityEvents): void {
  const deny = (error: NodeJS.ErrnoException): void => {
    events.emit({
      event: 'request.denied',
      outcome: 'failure',
      reason: NODE_CODE.test(error.code ?? '') ? (error.code ?? '') : 'malformed_request',
    });
  };
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (isClientGone(error)) {
      log.debug({ code: error.code }, 'client went away');
      socket.destroy();
      return;
    }
    deny(error);
    const status = RAW_ANSWERS[error.code ?? ''] ?? '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    else socket.destroy();
  });
  server.on('sessionError', (error: NodeJS.ErrnoException) => {
    if (isClientGone(error)) log.debug({ code: error.code }, 'client went away');
    else deny(error);
  });
}
