export { buildIdentity, type Identity, type IdentityContext, type IdentityOptions } from './app.ts';
export { identitySettings, type IdentitySettings } from './settings.ts';
export { generateClientSecret, hashClientSecret } from './oidc/client-secrets.ts';
export {
  FIRST_ADMIN,
  generateAdminPassword,
  generateDemoUser,
  type BootstrapFile,
  type DemoUser,
} from './bootstrap-secrets.ts';
