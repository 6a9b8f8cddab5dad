import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import { peerSpiffeId } from '@rampart/mesh';

/** The TLS facts about a request's client, as the mesh logs and checks them. */
export type Peer =
  | { readonly verified: true; readonly spiffeId: string }
  | { readonly verified: false; readonly reason: string; readonly spiffeId: string | null };

/**
 * The client's SPIFFE ID, only if its certificate chain verified against the trust bundle (which
 * also checks its validity period) and it carries exactly one well-formed SPIFFE URI SAN.
 */
export function peerOf(request: FastifyRequest): Peer {
  const socket = request.raw.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function') {
    return { verified: false, reason: 'not a TLS connection', spiffeId: null };
  }
  const certificate = socket.getPeerCertificate();
  const presented = Object.keys(certificate).length > 0;
  const spiffeId = presented ? peerSpiffeId(certificate) : null;
  if (!presented) return { verified: false, reason: 'no client certificate', spiffeId: null };
  if (socket.authorized !== true) {
    const error = socket.authorizationError;
    const reason = error instanceof Error ? error.message : typeof error === 'string' ? error : 'unverified';
    return { verified: false, reason: `client certificate rejected: ${reason}`, spiffeId };
  }
  if (spiffeId === null) return { verified: false, reason: 'client certificate has no SPIFFE ID', spiffeId };
  return { verified: true, spiffeId };
}

/** What identifies a peer in a log line: its SPIFFE ID when known, and its address. */
export function peerLabel(request: FastifyRequest, peer: Peer): { spiffeId: string | null; address: string } {
  return { spiffeId: peer.spiffeId, address: request.ip };
}
