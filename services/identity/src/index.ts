/**
 * What identity offers outside itself. It runs as a component of `rampart up` (`main.ts`); this
 * entry point exists for embedding it in-process and for the checks that must read `rampart.yaml`
 * exactly as identity does (`test/e2e/check-agrees.test.ts`: its settings, and the client rules
 * the admin API applies to the clients it creates). Test helpers are `@rampart/identity/testing`.
 */
export { buildIdentity, type Identity, type IdentityContext, type IdentityOptions } from './app.ts';
export { identitySettings, type IdentitySettings } from './settings.ts';
export { checkClientRules, type CreateClientBody } from './admin/client-rules.ts';
/** The first admin's password hash in a Kubernetes bootstrap (`rampart export k8s-secrets`): identity's own argon2id. */
export { hashPassword, verifyPassword } from './accounts/passwords.ts';
export { isValidUsername } from './accounts/username.ts';
