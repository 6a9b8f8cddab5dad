export { accountMigrations, migrateAccounts } from './migrations.ts';
export { AccountError, type AccountErrorCode } from './account-error.ts';
export { normalizeUsername, isValidUsername, USERNAME_PATTERN } from './username.ts';
export { GROUP_PATTERN, ROLE_PATTERN, checkDisplayName, checkEmail } from './account-fields.ts';
export {
  ARGON2_PARAMS,
  argon2Hasher,
  hashPassword,
  needsRehash,
  verifyPassword,
  type PasswordHasher,
} from './passwords.ts';
export {
  checkPasswordPolicy,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  type PolicyContext,
  type PolicyFailure,
  type PolicyReason,
  type PolicyResult,
} from './password-policy.ts';
export { MAX_PASSWORD_INPUT_UNITS } from './password-text.ts';
export { commonPasswords, COMMON_PASSWORDS_FILE } from './common-passwords.ts';
export {
  AccountStore,
  type AccountStoreOptions,
  type CreateUserInput,
  type CredentialCheck,
  type ProfileChange,
  type UserPage,
} from './account-store.ts';
export type { User } from './user-records.ts';
export type { Group } from './memberships.ts';
export {
  TotpFactors,
  TOTP_SETTINGS,
  type TotpConfirmation,
  type TotpEnrollment,
  type TotpFactorsOptions,
} from './totp.ts';
export {
  formatRecoveryCode,
  RECOVERY_CODE_ALPHABET,
  RECOVERY_CODE_COUNT,
  RECOVERY_CODE_LENGTH,
} from './recovery-codes.ts';
export {
  Passkeys,
  PASSKEY_ALGORITHMS,
  type AuthenticationResult,
  type Ceremony,
  type PasskeysOptions,
  type PasskeyUser,
  type RegistrationResult,
} from './passkeys.ts';
export type { Passkey } from './passkey-records.ts';
export { CHALLENGE_TTL_MS } from './webauthn-challenges.ts';
export {
  BruteForceGuard,
  BRUTE_FORCE_POLICY,
  type BruteForceDecision,
  type BruteForceGuardOptions,
  type BruteForcePolicy,
  type FailureLimit,
  type LockReason,
  type LoginAttempt,
  type PairLimit,
} from './brute-force.ts';
export {
  PSEUDONYM_PATTERN,
  SubjectPseudonyms,
  USER_PSEUDONYMS_MIGRATION,
  type SubjectPseudonymsOptions,
} from './subject-pseudonyms.ts';
