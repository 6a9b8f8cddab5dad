export { startSidecar, SidecarConfigError, type Sidecar } from './sidecar.ts';
export {
  forwardHeaders,
  egressHeaders,
  responseHeaders,
  RAMPART_HEADER_PREFIX,
  CALLER_HEADER,
  SUBJECT_HEADER,
  SUBJECT_KIND_HEADER,
  SCOPES_HEADER,
  GROUPS_HEADER,
  AMR_HEADER,
  SIDECAR_PROOF_HEADER,
  EGRESS_SECRET_HEADER,
  type ForwardHeaders,
  type VerifiedCaller,
} from './identity-headers.ts';
export { splitTarget, MAX_EGRESS_BODY_BYTES } from './egress-server.ts';
export {
  PROCESS_VARIABLES,
  PROCESS_ENV_FILE,
  secretMatches,
  createSidecarSecrets,
  podSecrets,
  writeSharedProcessEnvFile,
  type SidecarSecrets,
} from './sidecar-secrets.ts';
export { commandWords } from './upstream-process.ts';
