import { ACR } from '../oidc/provider.ts';
import type { FirstFactor, SecondFactor } from './progress.ts';

/** What a finished sign-in tells relying parties (`amr`, RFC 8176) and how it is recorded. */
export interface AuthenticationMethods {
  readonly amr: readonly string[];
  readonly acr: string;
  /** The `login.succeeded` event's reason. */
  readonly reason: string;
}

/**
 * `amr`/`acr` for the factors used:
 *
 * | factors | amr | acr |
 * | --- | --- | --- |
 * | password | `pwd` | `urn:rampart:acr:pwd` |
 * | password + TOTP | `pwd otp mfa` | `urn:rampart:acr:mfa` |
 * | password + recovery code | `pwd otp mfa` | `urn:rampart:acr:mfa` |
 * | password + passkey | `pwd hwk mfa` | `urn:rampart:acr:mfa` |
 * | passkey with user verification | `hwk user mfa` | `urn:rampart:acr:mfa` |
 *
 * A recovery code is a one-time password issued with the TOTP factor, hence `otp`. A passkey alone
 * is accepted only with user verification (PIN or biometrics on the authenticator), which makes it
 * two factors by itself: possession of the key (`hwk`) and the verified user (`user`).
 */
export function authenticationMethods(
  first: FirstFactor,
  second: SecondFactor | undefined,
): AuthenticationMethods {
  if (first === 'passkey') return { amr: ['hwk', 'user', 'mfa'], acr: ACR.mfa, reason: 'passkey' };
  switch (second) {
    case undefined:
      return { amr: ['pwd'], acr: ACR.password, reason: 'password' };
    case 'otp':
      return { amr: ['pwd', 'otp', 'mfa'], acr: ACR.mfa, reason: 'password_totp' };
    case 'recovery_code':
      return { amr: ['pwd', 'otp', 'mfa'], acr: ACR.mfa, reason: 'password_recovery_code' };
    case 'passkey':
      return { amr: ['pwd', 'hwk', 'mfa'], acr: ACR.mfa, reason: 'password_passkey' };
  }
}
