// The Pod Security Standards checker moved to @rampart/scan (its Kubernetes module uses it); the
// export's tests keep importing it from here.
export {
  checkPodRestricted,
  RESTRICTED_CONTROLS,
  type PodSecurityViolation,
  type RestrictedControl,
} from '@rampart/scan';
