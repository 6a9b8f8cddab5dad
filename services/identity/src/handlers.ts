import type { IdentityContext } from './app.ts';
import type { PathHandler } from './http/router.ts';
import { accountHandler } from './account/index.ts';
import { adminApi } from './admin/index.ts';
import { interactionHandler } from './interaction/index.ts';
import { formPostRequests } from './oidc/form-post-requests.ts';
import { pageAssetsHandler } from './pages/assets-handler.ts';

/** The parts of the issuer's space served before oidc-provider, in order. */
export const identityHandlers: readonly ((identity: IdentityContext) => PathHandler)[] = [
  pageAssetsHandler,
  interactionHandler,
  accountHandler,
  adminApi,
  formPostRequests,
];
