import { createWorkloadCsr } from './csr.ts';
import type { JoinEvidence } from './join-attestor.ts';
import { describeFailure, meshRequest, type MeshResponse } from './mesh-http.ts';
import { pemBlocks } from './pem.ts';
import { parseSpiffeId } from './spiffe-id.ts';

/** What a workload holds to speak mTLS in the mesh. */
export interface WorkloadCredentials {
  /** PKCS#8 PEM private key: keep in memory, never log. */
  readonly keyPem: string;
  readonly certPem: string;
  /** Trusted roots (the mesh bundle), one PEM each. */
  readonly caPems: readonly string[];
  /** Public keys (PEM) verifying internal tokens, as the authority publishes them. */
  readonly tokenKeyPems: readonly string[];
  readonly notAfter: Date;
}

export interface WorkloadIdentityOptions {
  /** `https://127.0.0.1:8445`. */
  readonly authorityUrl: string;
  /** The authority's SPIFFE ID: `componentSpiffeId(td, 'mesh')`. */
  readonly authoritySpiffeId: string;
  /** The bundle (PEM roots) to trust when joining: `.rampart/mesh/bundle.pem` under `rampart up`. */
  readonly bundlePem: string;
  /** The one-time join token `rampart up` handed this workload. Give this or `joinEvidence`. */
  readonly joinToken?: string;
  /**
   * Reads the evidence to join with, at every join — on Kubernetes the projected service-account
   * token, which the kubelet rotates, so it is read anew each time. A `k8s_psat` may be presented
   * again: with one, an identity whose certificate expired before a renewal succeeded joins again
   * (with backoff) instead of giving up with `expired`.
   */
  readonly joinEvidence?: () => JoinEvidence | Promise<JoinEvidence>;
  /** This workload's SPIFFE ID (must match what the token is bound to). */
  readonly spiffeId: string;
  /** Fraction of the lifetime after which to renew; default 0.5 (half-life). */
  readonly renewAt?: number;
  /** Retry backoff after a failed renewal: doubling from `minDelayMs` (1 s) up to `maxDelayMs` (60 s). */
  readonly retry?: { readonly minDelayMs?: number; readonly maxDelayMs?: number };
  /**
   * Also refresh the bundle every this many ms between renewals (`refreshBundle()`); default: only
   * at each renewal, which is all a CA rotation needs. At least 1000.
   */
  readonly bundleRefreshMs?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
}

export interface WorkloadIdentityEvents {
  /**
   * New credentials are in place: after every successful renewal (new key and certificate), and
   * after a bundle refresh that changed the trusted roots or token keys (same key and certificate).
   * Apply all of them, e.g. `server.setSecureContext({ key, cert, ca: [...caPems] })`.
   */
  rotated: (credentials: WorkloadCredentials) => void;
  /**
   * The trust bundle changed (a CA rotation was published, a root retired, token keys changed);
   * emitted right after `rotated`, with the same credentials, by a renewal or by `refreshBundle()`.
   */
  bundle_changed: (credentials: WorkloadCredentials) => void;
  /** A renewal attempt failed; the current certificate stays in use. */
  renewal_failed: (error: Error, nextAttemptInMs: number) => void;
  /**
   * The certificate expired before a renewal succeeded: the workload needs a new join token. Not
   * emitted when it joined with a `k8s_psat`: it joins again instead.
   */
  expired: () => void;
}

/** A workload's certificate, kept fresh. */
export interface WorkloadIdentity {
  readonly spiffeId: string;
  /** The credentials to use now. */
  current(): WorkloadCredentials;
  on<E extends keyof WorkloadIdentityEvents>(event: E, listener: WorkloadIdentityEvents[E]): () => void;
  onRotated(listener: (credentials: WorkloadCredentials) => void): () => void;
  /**
   * Renews now over mTLS — or, once the certificate expired, joins again with fresh `k8s_psat`
   * evidence (rejects if the authority refuses or is unreachable; the timer retries).
   */
  renew(): Promise<WorkloadCredentials>;
  /**
   * Fetches the bundle now and, if it changed, swaps it into the credentials (same key and
   * certificate) and emits `rotated` then `bundle_changed`. Rejects if the authority is unreachable.
   */
  refreshBundle(): Promise<WorkloadCredentials>;
  /** Stops renewing. */
  stop(): void;
}

/** Thrown when the authority refuses or cannot be reached. The message never holds a key or token. */
export class WorkloadIdentityError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WorkloadIdentityError';
  }
}

const DEFAULT_RENEW_AT = 0.5;
const DEFAULT_MIN_RETRY_MS = 1000;
const DEFAULT_MAX_RETRY_MS = 60_000;

/**
 * Joins the mesh with a one-time token (or a Kubernetes service-account token) and keeps the workload's certificate fresh: a new key and
 * CSR at every renewal (at `renewAt` of the lifetime, over mTLS with the current certificate), the
 * trust bundle refreshed each time so a CA rotation arrives without a restart (the CA publishes a new
 * root at least one certificate lifetime before it signs with it). If the authority is down, it
 * retries with backoff and keeps the current certificate until it expires. `rotated` fires whenever
 * the credentials change, the certificate or only the bundle.
 *
 * @example
 * const identity = await startWorkloadIdentity({
 *   authorityUrl: 'https://127.0.0.1:8445',
 *   authoritySpiffeId: componentSpiffeId('shop.local', 'mesh'),
 *   bundlePem: readFileSync(bundleFile, 'utf8'),
 *   joinToken: requiredJoinToken(await receiveLaunchSecrets()), // over IPC, never the environment
 *   spiffeId: serviceSpiffeId('shop.local', 'orders'),
 * });
 * identity.onRotated(({ keyPem, certPem, caPems }) => server.setSecureContext({ key: keyPem, cert: certPem, ca: [...caPems] }));
 */
export async function startWorkloadIdentity(options: WorkloadIdentityOptions): Promise<WorkloadIdentity> {
  const renewAt = options.renewAt ?? DEFAULT_RENEW_AT;
  if (!(renewAt > 0 && renewAt < 1)) throw new TypeError('renewAt must be between 0 and 1 (exclusive)');
  if (parseSpiffeId(options.spiffeId) === null)
    throw new TypeError(`"${options.spiffeId}" is not a SPIFFE ID`);
  const minRetry = options.retry?.minDelayMs ?? DEFAULT_MIN_RETRY_MS;
  const maxRetry = options.retry?.maxDelayMs ?? DEFAULT_MAX_RETRY_MS;
  const bundleRefreshMs = options.bundleRefreshMs;
  if (bundleRefreshMs !== undefined && !(Number.isFinite(bundleRefreshMs) && bundleRefreshMs >= 1000)) {
    throw new TypeError('bundleRefreshMs must be at least 1000');
  }
  const now = options.now ?? Date.now;
  const base = options.authorityUrl.replace(/\/+$/, '');
  if (!base.startsWith('https://')) throw new TypeError('authorityUrl must be an https:// URL');
  const { joinToken, joinEvidence } = options;
  if ((joinToken === undefined) === (joinEvidence === undefined)) {
    throw new TypeError('give exactly one of joinToken (rampart up) and joinEvidence (Kubernetes)');
  }
  const evidence = async (): Promise<JoinEvidence> =>
    joinEvidence === undefined ? { type: 'join_token', token: joinToken ?? '' } : await joinEvidence();

  /** Joins with fresh evidence and a new key: the first certificate, or one after expiry. */
  const joinOnce = async (
    trusted: readonly string[],
  ): Promise<{ readonly rejoinable: boolean; readonly credentials: WorkloadCredentials }> => {
    const presented = await evidence();
    const csr = await createWorkloadCsr(options.spiffeId);
    const joined = await call(() =>
      meshRequest({
        url: `${base}/v1/join`,
        method: 'POST',
        caPem: trusted.join(''),
        serverSpiffeId: options.authoritySpiffeId,
        contentType: 'application/json',
        body: JSON.stringify(
          presented.type === 'join_token'
            ? { joinToken: presented.token, csr: csr.csrPem }
            : { attestation: { type: presented.type, token: presented.token }, csr: csr.csrPem },
        ),
      }),
    );
    return {
      rejoinable: presented.type === 'k8s_psat',
      credentials: credentialsFrom(joined, csr.keyPem, trusted, []),
    };
  };
  const first = await joinOnce(pemBlocks(options.bundlePem));
  /** Whether the evidence may be presented again (a PSAT, not a one-time token). */
  const rejoinable = first.rejoinable;
  let credentials = first.credentials;

  const listeners: { [E in keyof WorkloadIdentityEvents]: Set<WorkloadIdentityEvents[E]> } = {
    rotated: new Set(),
    bundle_changed: new Set(),
    renewal_failed: new Set(),
    expired: new Set(),
  };
  let timer: NodeJS.Timeout | undefined;
  let bundleTimer: NodeJS.Timeout | undefined;
  let inFlight: Promise<WorkloadCredentials> | undefined;
  let bundleInFlight: Promise<WorkloadCredentials> | undefined;
  let failures = 0;
  let stopped = false;

  const schedule = (delayMs: number): void => {
    if (timer !== undefined) clearTimeout(timer);
    if (stopped) return;
    timer = setTimeout(
      () => {
        identity.renew().catch(() => {
          // Reported through `renewal_failed`; the next attempt is already scheduled.
        });
      },
      Math.max(0, delayMs),
    );
    timer.unref();
  };
  const scheduleRenewal = (): void => {
    const remaining = credentials.notAfter.getTime() - now();
    schedule(remaining * renewAt);
  };

  const mtlsWith = (held: WorkloadCredentials) => ({
    caPem: held.caPems.join(''),
    certPem: held.certPem,
    keyPem: held.keyPem,
  });
  const fetchBundle = async (held: WorkloadCredentials) =>
    bundleFrom(
      (
        await call(() =>
          meshRequest({
            url: `${base}/v1/bundle`,
            method: 'GET',
            serverSpiffeId: options.authoritySpiffeId,
            ...mtlsWith(held),
          }),
        )
      ).json,
    );
  /** Installs new credentials and tells the listeners: `rotated`, then `bundle_changed` if it did. */
  const install = (next: WorkloadCredentials): void => {
    const bundleChanged = !sameBundle(credentials, next);
    credentials = next;
    for (const listener of listeners.rotated) listener(next);
    if (bundleChanged) for (const listener of listeners.bundle_changed) listener(next);
  };

  const renewOnce = async (): Promise<WorkloadCredentials> => {
    const held = credentials;
    // An expired certificate cannot renew over mTLS; a re-presentable token joins again.
    if (rejoinable && held.notAfter.getTime() <= now()) {
      const rejoined = await joinOnce(held.caPems);
      return {
        ...rejoined.credentials,
        tokenKeyPems:
          rejoined.credentials.tokenKeyPems.length > 0
            ? rejoined.credentials.tokenKeyPems
            : held.tokenKeyPems,
      };
    }
    const mtls = mtlsWith(held);
    const bundle = await fetchBundle(held);
    const next = await createWorkloadCsr(options.spiffeId);
    const renewed = await call(() =>
      meshRequest({
        url: `${base}/v1/renew`,
        method: 'POST',
        serverSpiffeId: options.authoritySpiffeId,
        ...mtls,
        contentType: 'application/json',
        body: JSON.stringify({ csr: next.csrPem }),
      }),
    );
    return credentialsFrom(renewed, next.keyPem, bundle.caPems, bundle.tokenKeyPems);
  };

  const identity: WorkloadIdentity = {
    spiffeId: options.spiffeId,
    current: () => credentials,
    on(event, listener) {
      const set = listeners[event] as Set<typeof listener>;
      set.add(listener);
      return () => set.delete(listener);
    },
    onRotated: (listener) => identity.on('rotated', listener),
    renew() {
      inFlight ??= (async () => {
        try {
          const next = await renewOnce();
          failures = 0;
          install(next);
          scheduleRenewal();
          return next;
        } catch (error) {
          failures++;
          const untilExpiry = credentials.notAfter.getTime() - now();
          const failure = error instanceof Error ? error : new WorkloadIdentityError('renewal failed');
          if (untilExpiry <= 0 && !rejoinable) {
            identity.stop();
            for (const listener of listeners.expired) listener();
          } else {
            const backoff = Math.min(maxRetry, minRetry * 2 ** Math.min(failures - 1, 30));
            const jittered = backoff * (0.5 + Math.random() / 2);
            // Before expiry, retry at the latest when it expires; after it, join again with backoff.
            const delay = untilExpiry > 0 ? Math.min(untilExpiry, jittered) : jittered;
            schedule(delay);
            for (const listener of listeners.renewal_failed) listener(failure, delay);
          }
          throw failure;
        } finally {
          inFlight = undefined;
        }
      })();
      return inFlight;
    },
    refreshBundle() {
      // A renewal in progress refreshes the bundle itself.
      if (inFlight !== undefined) return inFlight;
      bundleInFlight ??= (async () => {
        try {
          const held = credentials;
          const bundle = await fetchBundle(held);
          // A renewal that finished meanwhile brought a bundle at least as recent.
          if (credentials !== held) return credentials;
          const next: WorkloadCredentials = {
            ...held,
            caPems: bundle.caPems,
            tokenKeyPems: bundle.tokenKeyPems.length > 0 ? bundle.tokenKeyPems : held.tokenKeyPems,
          };
          if (!sameBundle(held, next)) install(next);
          return credentials;
        } finally {
          bundleInFlight = undefined;
        }
      })();
      return bundleInFlight;
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      if (bundleTimer !== undefined) clearInterval(bundleTimer);
    },
  };
  scheduleRenewal();
  if (bundleRefreshMs !== undefined) {
    bundleTimer = setInterval(() => {
      identity.refreshBundle().catch(() => {
        // The next interval, or the next renewal, tries again; the current bundle stays in use.
      });
    }, bundleRefreshMs);
    bundleTimer.unref();
  }
  return identity;
}

async function call(send: () => Promise<MeshResponse>): Promise<MeshResponse> {
  let response: MeshResponse;
  try {
    response = await send();
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : 'unknown error';
    throw new WorkloadIdentityError(`the mesh authority is unreachable: ${reason}`, { cause });
  }
  if (response.status < 200 || response.status > 299) {
    throw new WorkloadIdentityError(`the mesh authority refused: ${describeFailure(response)}`);
  }
  return response;
}

function credentialsFrom(
  response: MeshResponse,
  keyPem: string,
  fallbackCaPems: readonly string[],
  fallbackTokenKeys: readonly string[],
): WorkloadCredentials {
  const body = (typeof response.json === 'object' && response.json !== null ? response.json : {}) as Record<
    string,
    unknown
  >;
  const { certificate, notAfter } = body;
  if (typeof certificate !== 'string' || typeof notAfter !== 'string' || Number.isNaN(Date.parse(notAfter))) {
    throw new WorkloadIdentityError('the mesh authority sent no certificate');
  }
  const bundle = typeof body['bundle'] === 'string' ? pemBlocks(body['bundle']) : [];
  const tokenKeys = stringArray(body['tokenKeys']);
  return {
    keyPem,
    certPem: certificate,
    caPems: bundle.length > 0 ? bundle : fallbackCaPems,
    tokenKeyPems: tokenKeys.length > 0 ? tokenKeys : fallbackTokenKeys,
    notAfter: new Date(notAfter),
  };
}

function bundleFrom(json: unknown): { caPems: string[]; tokenKeyPems: string[] } {
  const body = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const caPems = typeof body['bundle'] === 'string' ? pemBlocks(body['bundle']) : [];
  if (caPems.length === 0) throw new WorkloadIdentityError('the mesh authority sent an empty bundle');
  return { caPems, tokenKeyPems: stringArray(body['tokenKeys']) };
}

/** Same trusted roots and token keys, in any order. */
function sameBundle(a: WorkloadCredentials, b: WorkloadCredentials): boolean {
  return sameSet(a.caPems, b.caPems) && sameSet(a.tokenKeyPems, b.tokenKeyPems);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a.map((item) => item.trim()));
  const right = new Set(b.map((item) => item.trim()));
  return left.size === right.size && [...left].every((item) => right.has(item));
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}
