export {
  parseSpiffeId,
  serviceSpiffeId,
  componentSpiffeId,
  serviceNameOf,
  workloadNameOf,
  peerSpiffeId,
  verifyPeerSpiffeId,
  MAX_SPIFFE_ID_LENGTH,
  type SpiffeId,
  type CertificateLike,
} from './spiffe-id.ts';
export { createWorkloadCsr, type WorkloadCsr } from './csr.ts';
export { tlsPairProblem } from './tls-pair.ts';
export { pinnedCaProblem } from './pinned-ca.ts';
export {
  CertificateAuthority,
  generateRootCa,
  DEFAULT_LEAF_TTL_MS,
  MIN_LEAF_TTL_MS,
  MAX_LEAF_TTL_MS,
  MAX_CSR_LENGTH,
  type CertificateAuthorityOptions,
  type RootCaPems,
  type IssueRequest,
  type IssuedCertificate,
  type RootInfo,
  type RootStatus,
  type Rotation,
} from './certificate-authority.ts';
export {
  JoinTokens,
  createJoinToken,
  DEFAULT_MAX_PENDING_JOIN_TOKENS,
  MAX_JOIN_TOKEN_LENGTH,
  type JoinToken,
  type JoinTokensOptions,
} from './join-tokens.ts';
export {
  joinTokenAttestor,
  JOIN_EVIDENCE_TYPES,
  type Attestation,
  type AttestedWorkload,
  type JoinAttestor,
  type JoinEvidence,
} from './join-attestor.ts';
export {
  startWorkloadIdentity,
  WorkloadIdentityError,
  type WorkloadIdentity,
  type WorkloadIdentityOptions,
  type WorkloadIdentityEvents,
  type WorkloadCredentials,
} from './workload-identity.ts';
export {
  exchangeToken,
  TokenExchangeError,
  TOKEN_EXCHANGE_GRANT_TYPE,
  INTERNAL_TOKEN_TYPE,
  type ExchangeTokenOptions,
  type ExchangedToken,
} from './token-exchange.ts';
export { pemBlocks } from './pem.ts';
