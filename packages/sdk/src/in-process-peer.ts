import type { FastifyRequest, InjectOptions } from 'fastify';
import type { CallerName } from './caller.ts';

/**
 * An in-process request (`svc.inject`, tests) has no TLS connection, so no peer certificate: the
 * test names the workload it stands for, and the service runs the very caller check it runs on an
 * mTLS connection (`requireAllowedPeer`). The name travels in this header, which only an app
 * without TLS reads — and such an app cannot listen (`start()` refuses without the mesh), so no
 * network client can ever set it.
 */
const PEER_HEADER = 'x-rampart-in-process-peer';
const NO_CERTIFICATE = '-';

/** How an in-process request presents itself: as `gateway` unless a test says otherwise. */
export interface InjectAs {
  /** The workload whose certificate the request stands for; `null` for no certificate. */
  readonly peer?: CallerName | null;
}

export function withInProcessPeer(request: InjectOptions | string, as: InjectAs = {}): InjectOptions {
  const options = typeof request === 'string' ? { url: request } : request;
  const peer = as.peer === undefined ? 'gateway' : as.peer;
  return {
    ...options,
    headers: { ...options.headers, [PEER_HEADER]: peer ?? NO_CERTIFICATE },
  };
}

/** The peer an in-process request stands for (see `withInProcessPeer`); null for none. */
export function inProcessPeerOf(request: FastifyRequest): CallerName | null {
  const peer = request.headers[PEER_HEADER];
  return typeof peer === 'string' && peer !== NO_CERTIFICATE && peer.length > 0 ? peer : null;
}
