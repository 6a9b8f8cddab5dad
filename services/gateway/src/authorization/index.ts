export { authorize, MFA_AMR_VALUES, type AccessPrincipal, type CedarCheck } from './authorize.ts';
export {
  compileCedarPolicySet,
  type CedarDecision,
  type CedarPolicySet,
  type CedarRequest,
} from './cedar.ts';
