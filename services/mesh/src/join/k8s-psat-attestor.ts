import type { KubernetesMeshSettings, KubernetesWorkload } from '@rampart/config';
import {
  componentSpiffeId,
  serviceSpiffeId,
  type Attestation,
  type AttestedWorkload,
  type JoinAttestor,
} from '@rampart/mesh';
import { replaceUnsafeText } from '@rampart/sdk';
import type { TokenReviewer } from './token-reviewer.ts';

/** A projected service-account token is a JWT of 1–2 KiB; longer evidence is refused unsent. */
export const MAX_PSAT_LENGTH = 8192;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const SERVICE_ACCOUNT_USER =
  /^system:serviceaccount:([a-z0-9]([-a-z0-9]*[a-z0-9])?):([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/;
const POD_NAME = 'authentication.kubernetes.io/pod-name';
const POD_UID = 'authentication.kubernetes.io/pod-uid';

export interface K8sPsatAttestorOptions {
  readonly reviewer: TokenReviewer;
  /** `mesh.kubernetes` of the configuration in force, or undefined once it is removed. */
  readonly settings: () => KubernetesMeshSettings | undefined;
  /** The ServiceAccount → workload table of the configuration in force (`kubernetesWorkloads`). */
  readonly workloads: () => ReadonlyMap<string, KubernetesWorkload>;
  readonly trustDomain: string;
}

/**
 * The Kubernetes join attestor (`k8s_psat`): the workload presents its projected service-account
 * token, and the cluster itself — the TokenReview API, never this process reading the JWT — says
 * whether it is genuine. The join is accepted only when the review says `authenticated`, lists the
 * mesh's audience in `status.audiences` (an API server that does not check audiences lists none,
 * and is refused), names `system:serviceaccount:<namespace>:<sa>` in the configured namespace, and
 * binds the token to a pod (`authentication.kubernetes.io/pod-name` and `pod-uid`: a projected
 * token is valid only while that pod exists). The SPIFFE ID comes from the ServiceAccount through
 * the table rampart.yaml defines — a service `<name>` is ServiceAccount `<name>`, gateway, identity
 * and audit are `rampart-<component>` — never from anything the workload claims. Any failure,
 * including an API server that is down, slow or talks nonsense, is a refusal: it fails closed.
 *
 * @example
 * const attestor = k8sPsatAttestor({ reviewer, settings: () => kubernetesMeshSettings(config),
 *   workloads: () => kubernetesWorkloads(config), trustDomain: 'shop.local' });
 * await attestor.attest({ type: 'k8s_psat', token }); // { ok: true, spiffeId: 'spiffe://shop.local/service/orders', workload: { podName, podUid, … } }
 */
export function k8sPsatAttestor(options: K8sPsatAttestorOptions): JoinAttestor {
  return {
    type: 'k8s_psat',
    async attest(evidence) {
      const settings = options.settings();
      if (evidence.type !== 'k8s_psat' || settings === undefined) {
        return refuse(
          'MESH_ATTESTATION_UNSUPPORTED',
          'psat_unsupported',
          'the mesh does not run on Kubernetes',
        );
      }
      const { token } = evidence;
      if (typeof token !== 'string' || token.length > MAX_PSAT_LENGTH || !JWT_SHAPE.test(token)) {
        return refuse('MESH_PSAT_INVALID', 'psat_malformed', 'the token is not a JWT of at most 8 KiB');
      }
      const review = await options.reviewer.review(token, settings.audience);
      if (!review.ok) return refuse('MESH_ATTESTATION_UNAVAILABLE', review.reason, review.detail);
      return judge(review.status, settings, options.workloads(), options.trustDomain);
    },
  };
}

/** The attestation a TokenReview status supports. Exported for its tests. */
export function judge(
  status: unknown,
  settings: KubernetesMeshSettings,
  workloads: ReadonlyMap<string, KubernetesWorkload>,
  trustDomain: string,
): Attestation {
  if (!isRecord(status)) {
    return refuse('MESH_ATTESTATION_UNAVAILABLE', 'apiserver_bad_answer', 'the TokenReview has no status');
  }
  if (status['authenticated'] !== true) {
    const error = typeof status['error'] === 'string' ? status['error'] : '';
    // kube-apiserver says why in prose ("token audiences [...] is invalid for the target
    // audiences [...]"): only the event's reason depends on it, the refusal does not.
    return refuse(
      'MESH_PSAT_INVALID',
      /\baudiences?\b/i.test(error) ? 'psat_wrong_audience' : 'psat_unauthenticated',
      `the API server did not authenticate the token${error === '' ? '' : `: ${oneLine(error)}`}`,
    );
  }
  const audiences = status['audiences'];
  if (!Array.isArray(audiences) || !audiences.includes(settings.audience)) {
    return refuse(
      'MESH_PSAT_INVALID',
      'psat_wrong_audience',
      `the token is not for audience ${settings.audience} (status.audiences: ${describeAudiences(audiences)})`,
    );
  }
  const user = isRecord(status['user']) ? status['user'] : {};
  const username = typeof user['username'] === 'string' ? user['username'] : '';
  const match = SERVICE_ACCOUNT_USER.exec(username);
  const namespace = match?.[1];
  const serviceAccount = match?.[3];
  if (namespace === undefined || serviceAccount === undefined) {
    return refuse(
      'MESH_PSAT_NOT_ALLOWED',
      'psat_not_service_account',
      'the token belongs to no service account',
    );
  }
  const extra = isRecord(user['extra']) ? user['extra'] : {};
  const podName = single(extra[POD_NAME]);
  const podUid = single(extra[POD_UID]);
  const workload: AttestedWorkload = {
    namespace,
    serviceAccount,
    ...(podName === undefined ? {} : { podName }),
    ...(podUid === undefined ? {} : { podUid }),
  };
  if (namespace !== settings.namespace) {
    return refuse(
      'MESH_PSAT_NOT_ALLOWED',
      'psat_other_namespace',
      `service account ${namespace}/${serviceAccount} is outside namespace ${settings.namespace}`,
      workload,
    );
  }
  if (podName === undefined || podUid === undefined) {
    return refuse(
      'MESH_PSAT_INVALID',
      'psat_not_pod_bound',
      'the token is bound to no pod (not a projected service-account token)',
      workload,
    );
  }
  const mapped = workloads.get(serviceAccount);
  if (mapped === undefined) {
    return refuse(
      'MESH_PSAT_NOT_ALLOWED',
      'psat_unmapped_service_account',
      `service account ${serviceAccount} is no service or component of rampart.yaml`,
      workload,
    );
  }
  const spiffeId =
    mapped.kind === 'service'
      ? serviceSpiffeId(trustDomain, mapped.name)
      : componentSpiffeId(trustDomain, mapped.name);
  return { ok: true, spiffeId, workload };
}

function refuse(
  code:
    | 'MESH_PSAT_INVALID'
    | 'MESH_PSAT_NOT_ALLOWED'
    | 'MESH_ATTESTATION_UNAVAILABLE'
    | 'MESH_ATTESTATION_UNSUPPORTED',
  reason: string,
  detail: string,
  workload?: AttestedWorkload,
): Attestation {
  return { ok: false, code, reason, detail, ...(workload === undefined ? {} : { workload }) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The one value of a `user.extra` entry (a list of strings), or undefined for none, several or a non-string. */
function single(value: unknown): string | undefined {
  if (!Array.isArray(value) || value.length !== 1) return undefined;
  const [only] = value as unknown[];
  return typeof only === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/.test(only) ? only : undefined;
}

function describeAudiences(audiences: unknown): string {
  if (!Array.isArray(audiences) || audiences.length === 0) return 'none';
  return oneLine(audiences.map((audience) => (typeof audience === 'string' ? audience : '?')).join(', '));
}

/** At most 200 characters on one line: the API server's words go to the log only. */
function oneLine(text: string): string {
  return replaceUnsafeText(text, ' ').slice(0, 200);
}
