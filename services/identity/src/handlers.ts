import type { IdentityContext } from './app.ts';
import type { PathHandler } from './http/router.ts';

/** The parts of the issuer's space served before oidc-provider, in order. */
export const identityHandlers: readonly ((identity: IdentityContext) => PathHandler)[] = [];
