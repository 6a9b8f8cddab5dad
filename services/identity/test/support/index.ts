// `@rampart/identity/testing`: what tests and benchmarks outside identity use to stand identity up
// in-process and to drive its pages. Identity's own tests import these modules by relative path.
// Generic helpers (the fetch-based `TestBrowser`, `fetchWith`, `totpCode`, Chromium) live in
// `@rampart/testing`; this entry point holds only what knows identity.
export {
  startIdentity,
  createPostgresSchema,
  testConfigYaml,
  selfSigned,
  type Harness,
  type HarnessOptions,
} from './harness.ts';
export {
  CALLBACK,
  INTERACTION_IDENTITY,
  PASSWORD,
  publicClient,
  authorization,
  exchange,
  inputValue,
  formAction,
  csrfOf,
  shownSecret,
  recoveryCodes,
  eventually,
  signIn,
  jwtClaims,
  createUserWithTotp,
  type Authorization,
} from '../interaction/support.ts';
/** Identity with an admin whose admin API tokens a test mints, as `test/admin/` stands it up. */
export {
  startAdminHarness,
  mintToken,
  type AdminHarness,
  type TokenOverrides,
} from '../admin/admin-support.ts';
/** An admin API token for the first admin of a shop under `rampart up` (end-to-end tests, benchmarks). */
export { adminAccess, type AdminAccess, type AdminTokenClaims } from './shop-admin-token.ts';

// Internals, for the few outside tests and benchmarks that measure or stand in for them — not the
// service's API (that is `@rampart/identity`).
/** Identity's signing keys in its store, for an end-to-end test that mints the token identity would. */
export { SigningKeys } from '../../src/keys/signing-keys.ts';
export { ADMIN_CLI_CLIENT_ID } from '../../src/oidc/client-metadata.ts';
export { generateClientSecret, hashClientSecret } from '../../src/oidc/client-secrets.ts';
export { AccountStore, ARGON2_PARAMS, hashPassword, verifyPassword } from '../../src/accounts/index.ts';
export { adminRoutes } from '../../src/admin/admin-api.ts';
export { matchRoute, type Method } from '../../src/admin/route.ts';
/** The pseudonym index behind the audit service's re-identification, for `bench/subject-reidentify.ts`. */
export { SubjectPseudonyms, USER_PSEUDONYMS_MIGRATION, accountMigrations } from '../../src/accounts/index.ts';
