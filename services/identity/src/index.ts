export { buildIdentity, type Identity, type IdentityContext, type IdentityOptions } from './app.ts';
export { identitySettings, type IdentitySettings } from './settings.ts';
