import { Http2ServerRequest, type Http2SecureServer } from 'node:http2';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

export interface Http1Deadlines {
  /** A request's headers must have arrived this long after it may start. */
  readonly headersMs: number;
  /** The whole request (headers and body) must have arrived this long after it may start. */
  readonly requestMs: number;
}

interface ConnectionState {
  /** When the next request may start: the connection's start, or the end of the last answer. */
  since: number;
  /** Requests whose answer has not finished (HTTP/1.1 pipelining may queue more than one). */
  pending: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Enforces `headersTimeout` and `requestTimeout` on the HTTP/1.1 connections of an HTTP/2 server
 * (`allowHTTP1`). node:http checks them only on its own servers: on these connections a client
 * sending one header line every few seconds, or a body one byte at a time, held a connection (and
 * a slot of `maxConnectionsPerIp`) for as long as it liked. Here each connection carries one
 * timer: from the moment a request may start (the connection is up, or the last answer finished)
 * its headers must arrive within `headersMs`, and its body by `requestMs`.
 *
 * A client too slow with its headers is refused as node:http refuses it — the server's
 * `clientError` with `ERR_HTTP_REQUEST_TIMEOUT` (a 408 and a `request.denied` event, see
 * `watchConnectionErrors`), then the connection is closed once the 408 is written; one that sent
 * nothing at all (an idle preconnect) is closed quietly.
 * A body still arriving at `requestMs` ends the connection.
 */
export function enforceHttp1Deadlines(server: Http2SecureServer, deadlines: Http1Deadlines): void {
  const states = new WeakMap<Socket, ConnectionState>();
  // The headers are part of the request: they never get longer than the whole of it.
  const headersMs = Math.min(deadlines.headersMs, deadlines.requestMs);

  const clear = (state: ConnectionState): void => {
    clearTimeout(state.timer);
    state.timer = undefined;
  };

  /** Waits for the next request's headers: due `headersMs` from now, whether a byte of them came or not. */
  const awaitHeaders = (socket: Socket, state: ConnectionState): void => {
    clear(state);
    state.since = Date.now();
    const bytesBefore = socket.bytesRead;
    state.timer = setTimeout(() => {
      state.timer = undefined;
      if (socket.destroyed) return;
      if (socket.bytesRead === bytesBefore) {
        socket.destroy();
        return;
      }
      const error = Object.assign(new Error(`request headers not received within ${headersMs} ms`), {
        code: 'ERR_HTTP_REQUEST_TIMEOUT',
      });
      // Nothing more of this connection is read: the half-sent request's end would otherwise reach
      // the parser as a second error (HPE_INVALID_EOF_STATE) and a second denial for one refusal.
      socket.pause();
      server.emit('clientError', error, socket);
      socket.destroySoon();
    }, headersMs);
    state.timer.unref();
  };

  server.on('secureConnection', (socket: TLSSocket) => {
    if (socket.alpnProtocol === 'h2') return;
    const state: ConnectionState = { since: Date.now(), pending: 0, timer: undefined };
    states.set(socket, state);
    awaitHeaders(socket, state);
    socket.once('close', () => {
      clear(state);
    });
  });

  server.on('request', (req: IncomingMessage | Http2ServerRequest, res: ServerResponse) => {
    if (req instanceof Http2ServerRequest) return;
    const socket = req.socket;
    const state = states.get(socket);
    if (state === undefined) return;
    clear(state);
    state.pending += 1;
    if (!req.complete) {
      const left = Math.max(0, state.since + deadlines.requestMs - Date.now());
      const timer = setTimeout(() => {
        if (!req.complete) socket.destroy();
      }, left);
      timer.unref();
      const stop = (): void => {
        clearTimeout(timer);
      };
      req.once('end', stop);
      req.once('close', stop);
    }
    res.once('close', () => {
      state.pending -= 1;
      if (state.pending === 0 && !socket.destroyed) awaitHeaders(socket, state);
    });
  });
}
