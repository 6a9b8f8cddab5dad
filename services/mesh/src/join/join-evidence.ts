import { RampartError } from '@rampart/errors';
import type { JoinEvidence } from '@rampart/mesh';

/** A join request's evidence and CSR, as read from its body. */
export interface JoinRequest {
  readonly evidence: JoinEvidence;
  readonly csr: string;
}

/**
 * Reads `POST /v1/join`'s body: `{ joinToken, csr }` (what `rampart up`'s workloads send), or
 * `{ attestation: { type, token }, csr }` (`type` `join_token` or `k8s_psat`). Exactly one of
 * `joinToken` and `attestation`; anything else is `MESH_BAD_REQUEST`, and an unknown type
 * `MESH_ATTESTATION_UNSUPPORTED`. Only the shape is checked here: the attestor judges the token.
 *
 * @example
 * readJoinRequest({ attestation: { type: 'k8s_psat', token }, csr }); // { evidence: { type: 'k8s_psat', token }, csr }
 */
export function readJoinRequest(body: unknown): JoinRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RampartError('MESH_BAD_REQUEST', { detail: 'the body must be a JSON object' });
  }
  const fields = body as Record<string, unknown>;
  const csr = fields['csr'];
  if (typeof csr !== 'string' || csr.length === 0) {
    throw new RampartError('MESH_BAD_REQUEST', { detail: '"csr" must be a non-empty string' });
  }
  const { joinToken, attestation } = fields;
  if ((joinToken === undefined) === (attestation === undefined)) {
    throw new RampartError('MESH_BAD_REQUEST', {
      detail: 'send exactly one of "joinToken" and "attestation"',
    });
  }
  if (joinToken !== undefined)
    return { evidence: { type: 'join_token', token: nonEmpty(joinToken, 'joinToken') }, csr };
  if (typeof attestation !== 'object' || attestation === null || Array.isArray(attestation)) {
    throw new RampartError('MESH_BAD_REQUEST', { detail: '"attestation" must be an object { type, token }' });
  }
  const { type, token } = attestation as Record<string, unknown>;
  if (typeof type !== 'string') {
    throw new RampartError('MESH_BAD_REQUEST', { detail: '"attestation.type" must be a string' });
  }
  const value = nonEmpty(token, 'attestation.token');
  switch (type) {
    case 'join_token':
      return { evidence: { type, token: value }, csr };
    case 'k8s_psat':
      return { evidence: { type, token: value }, csr };
    default:
      throw new RampartError('MESH_ATTESTATION_UNSUPPORTED', {
        detail: 'attestation.type must be join_token or k8s_psat',
      });
  }
}

function nonEmpty(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new RampartError('MESH_BAD_REQUEST', { detail: `"${name}" must be a non-empty string` });
  }
  return value;
}
