import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { componentSpiffeId, peerSpiffeId, serviceNameOf } from '@rampart/mesh';
import { RampartError } from '@rampart/errors';
import type { Principal } from './principal.ts';

/** The workload on the other end of a connection: `gateway`, or a declared service's name. */
export type CallerName = string;

const callers = new WeakMap<Socket, CallerName | null>();

/**
 * The caller's workload name from the peer certificate's SPIFFE ID (its URI SAN, never a CN or
 * DNS name), or null when the peer presented no certificate of this trust domain. Cached per
 * connection, so keep-alive requests pay for the parse once.
 */
export function callerOf(socket: Socket, trustDomain: string): CallerName | null {
  const cached = callers.get(socket);
  if (cached !== undefined) return cached;
  let caller: CallerName | null = null;
  if (socket instanceof TLSSocket && socket.authorized) {
    const id = peerSpiffeId(socket.getPeerCertificate());
    if (id !== null) {
      caller = id === componentSpiffeId(trustDomain, 'gateway') ? 'gateway' : serviceNameOf(id, trustDomain);
    }
  }
  callers.set(socket, caller);
  return caller;
}

/**
 * Deny by default, on two independent proofs that must agree: the mTLS peer must be one of the
 * service's declared `callers`, and the token must have been issued for that very hop — a token
 * without `act` comes from the gateway, one with `act.sub` was exchanged by that service.
 *
 * @example
 * requireAllowedPeer('orders', principal, service.callers ?? []);
 */
export function requireAllowedPeer(
  caller: CallerName | null,
  principal: Principal,
  allowed: readonly string[],
): void {
  if (caller === null) {
    throw new RampartError('SDK_CALLER_NOT_ALLOWED', {
      detail: 'no workload certificate of this trust domain',
    });
  }
  if (!allowed.includes(caller)) {
    throw new RampartError('SDK_CALLER_NOT_ALLOWED', { detail: `caller "${caller}" is not in callers` });
  }
  const tokenCaller = principal.actor ?? 'gateway';
  if (tokenCaller !== caller) {
    throw new RampartError('SDK_CALLER_NOT_ALLOWED', {
      detail: `token was issued for calls from "${tokenCaller}" but "${caller}" presented it`,
    });
  }
}
