import {
  ApiException,
  AuthenticationV1Api,
  Observable,
  V1TokenReview,
  V1TokenReviewSpec,
  type KubeConfig,
  type ObservableMiddleware,
} from '@kubernetes/client-node';
import { replaceUnsafeText } from '@rampart/sdk';

/** How long the authority waits for the API server's TokenReview before refusing the join. */
export const DEFAULT_TOKEN_REVIEW_TIMEOUT_MS = 5000;

/** Why the API server gave no usable answer: the join fails closed with `MESH_ATTESTATION_UNAVAILABLE`. */
export type ReviewFailure =
  /** Unreachable, or no answer in time. */
  | 'apiserver_unavailable'
  /** It refused the mesh's own credentials (401, or 403: no RBAC for `tokenreviews` `create`). */
  | 'apiserver_refused_mesh'
  /** Its answer is no TokenReview (another status, not JSON, no `status`). */
  | 'apiserver_bad_answer';

/** The API server's answer: the TokenReview's `status` as it came (checked by the attestor), or why none. */
export type ReviewResult =
  | { readonly ok: true; readonly status: unknown }
  | { readonly ok: false; readonly reason: ReviewFailure; readonly detail: string };

/** Asks the cluster whether a token is genuine, for an audience. Never throws, never hangs past its timeout. */
export interface TokenReviewer {
  review(token: string, audience: string): Promise<ReviewResult>;
}

export interface KubernetesTokenReviewerOptions {
  /** Default {@link DEFAULT_TOKEN_REVIEW_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
}

/**
 * A {@link TokenReviewer} on the TokenReview API (`POST /apis/authentication.k8s.io/v1/tokenreviews`)
 * through `@kubernetes/client-node`, authenticated as the kubeconfig's user — in a pod, the mesh's
 * own ServiceAccount token, re-read by the client as the kubelet rotates it. Every review sends
 * `spec.audiences: [audience]` (an audience-aware API server then authenticates only a token made
 * for it) and is aborted after `timeoutMs`. The API server is reached over verified TLS only: a
 * kubeconfig with a plain-HTTP server or `insecure-skip-tls-verify` is a `TypeError` here.
 *
 * @example
 * const kubeConfig = new KubeConfig();
 * kubeConfig.loadFromCluster();
 * const reviewer = kubernetesTokenReviewer(kubeConfig);
 * const result = await reviewer.review(token, 'rampart-mesh');
 */
export function kubernetesTokenReviewer(
  kubeConfig: KubeConfig,
  options: KubernetesTokenReviewerOptions = {},
): TokenReviewer {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TOKEN_REVIEW_TIMEOUT_MS;
  if (!(Number.isInteger(timeoutMs) && timeoutMs >= 100 && timeoutMs <= 60_000)) {
    throw new TypeError('timeoutMs must be an integer between 100 and 60000');
  }
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null) throw new TypeError('the kubeconfig has no current cluster');
  if (!cluster.server.startsWith('https://')) {
    throw new TypeError(`the Kubernetes API server must be reached over https://, not ${cluster.server}`);
  }
  if (cluster.skipTLSVerify) {
    throw new TypeError('the kubeconfig skips TLS verification of the API server: give it the cluster CA');
  }
  const api = kubeConfig.makeApiClient(AuthenticationV1Api);

  return {
    async review(token, audience) {
      const controller = new AbortController();
      const timer = setTimeout(() => {
        controller.abort(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      // The client's fetch takes the signal from the request context; the race below bounds the
      // whole call even where the client would not honour it (reading a token file, a retry).
      const withSignal: ObservableMiddleware = {
        pre: (context) => {
          context.setSignal(controller.signal);
          return new Observable(Promise.resolve(context));
        },
        post: (context) => new Observable(Promise.resolve(context)),
      };
      const aborted = new Promise<never>((_resolve, reject) => {
        controller.signal.addEventListener('abort', () => {
          reject(controller.signal.reason instanceof Error ? controller.signal.reason : new Error('aborted'));
        });
      });
      try {
        const spec = new V1TokenReviewSpec();
        spec.token = token;
        spec.audiences = [audience];
        const body = new V1TokenReview();
        body.apiVersion = 'authentication.k8s.io/v1';
        body.kind = 'TokenReview';
        body.spec = spec;
        // Typed as a TokenReview, but only the API server vouches for that: checked as unknown.
        const review: unknown = await Promise.race([
          api.createTokenReview({ body }, { middleware: [withSignal], middlewareMergeStrategy: 'append' }),
          aborted,
        ]);
        if (
          typeof review !== 'object' ||
          review === null ||
          !('status' in review) ||
          typeof review.status !== 'object'
        ) {
          return {
            ok: false,
            reason: 'apiserver_bad_answer',
            detail: 'the answer has no TokenReview status',
          };
        }
        return { ok: true, status: review.status };
      } catch (error) {
        return failure(error, controller.signal.aborted, timeoutMs);
      } finally {
        clearTimeout(timer);
        controller.abort();
      }
    },
  };
}

function failure(error: unknown, timedOut: boolean, timeoutMs: number): ReviewResult {
  if (timedOut) {
    return { ok: false, reason: 'apiserver_unavailable', detail: `no answer within ${timeoutMs} ms` };
  }
  if (error instanceof ApiException) {
    const status = error.code;
    if (status === 401 || status === 403) {
      return {
        ok: false,
        reason: 'apiserver_refused_mesh',
        detail:
          `the API server answered ${status} to the mesh's TokenReview: ` +
          (status === 401
            ? "the mesh's own service-account token is not accepted"
            : "bind the mesh's ServiceAccount to a ClusterRole allowing create on tokenreviews (authentication.k8s.io)"),
      };
    }
    return {
      ok: false,
      reason: status >= 500 || status === 429 ? 'apiserver_unavailable' : 'apiserver_bad_answer',
      detail: `the API server answered ${status} to the TokenReview`,
    };
  }
  // undici's fetch reports a connection failure as a TypeError ("fetch failed") with the socket
  // error as its cause. Anything else is an answer the client could not read as a TokenReview; its
  // message may quote the answer (which can echo the token), so only its name is logged.
  if (error instanceof TypeError) {
    const cause: unknown = error.cause;
    const code =
      cause instanceof Error && 'code' in cause && typeof cause.code === 'string' ? cause.code : '';
    const reason = cause instanceof Error ? cause.message : error.message;
    return {
      ok: false,
      reason: 'apiserver_unavailable',
      detail: `the API server cannot be reached: ${oneLine(code === '' ? reason : `${code} ${reason}`)}`,
    };
  }
  // A system error before any request: the mesh's own token file unreadable (not mounted?).
  if (
    error instanceof Error &&
    'code' in error &&
    typeof error.code === 'string' &&
    /^E[A-Z]+$/.test(error.code)
  ) {
    return {
      ok: false,
      reason: 'apiserver_unavailable',
      detail: `the TokenReview could not be sent: ${oneLine(error.message)}`,
    };
  }
  return {
    ok: false,
    reason: 'apiserver_bad_answer',
    detail: `the API server answered no TokenReview (${error instanceof Error ? error.name : typeof error})`,
  };
}

/** A message on one line and at most 300 characters: it goes to the log, never to the workload. */
function oneLine(text: string): string {
  return replaceUnsafeText(text, ' ').slice(0, 300);
}
