export { authorize, MFA_AMR_VALUES, type AccessPrincipal } from './authorize.ts';
