// A stand-in Kubernetes API server for the TokenReview contract alone, over real TLS: it answers
// `POST /apis/authentication.k8s.io/v1/tokenreviews` as kube-apiserver does — 201 with the review
// (spec echoed, status filled in: `authenticated`, `audiences` = the intersection of the token's
// and the request's, `user` with username, uid, groups and the pod-binding `extra`), or `user: {}`
// and an `error` for a token it does not accept — and 401/403 `Status` objects for a caller it does
// not know or that may not review. Its failure modes play an API server that is down, slow, or
// talks nonsense.
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { selfSignedCertificate } from '@rampart/testing';

/** What a token stands for, as the API server knows it. */
export interface FakeToken {
  readonly namespace: string;
  readonly serviceAccount: string;
  /** The token's `aud`. */
  readonly audiences: readonly string[];
  /** A projected token is bound to its pod; a legacy Secret token is not. */
  readonly pod?: { readonly name: string; readonly uid: string };
}

export type ApiServerMode =
  | 'normal'
  /** Authenticates without looking at audiences and lists none (an audience-unaware authenticator). */
  | 'audience-unaware'
  /** Accepts the connection and never answers. */
  | 'slow'
  /** 201 with a body that is not JSON. */
  | 'garbage'
  /** 201 with JSON that is not a TokenReview. */
  | 'wrong-shape'
  /** 403: the caller may not create tokenreviews. */
  | 'forbidden'
  /** 500. */
  | 'error';

export interface ReviewSeen {
  readonly authorization: string | undefined;
  readonly body: unknown;
}

export interface FakeApiServer {
  readonly url: string;
  /** A kubeconfig (its CA, the server, the mesh's bearer token) for `KubeConfig.loadFromFile`. */
  readonly kubeconfigFile: string;
  /** The bearer token the mesh authenticates with (its own ServiceAccount's). */
  readonly callerToken: string;
  mode: ApiServerMode;
  readonly reviews: ReviewSeen[];
  /** Registers a token and returns it (JWT-shaped; the server judges it by lookup, as by signature). */
  issue(token: FakeToken): string;
  /** Forgets a token (its pod was deleted). */
  revoke(token: string): void;
  close(): Promise<void>;
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/**
 * Starts the fake API server on 127.0.0.1 with a self-signed certificate written to `dir`, and
 * writes a kubeconfig there that trusts exactly that certificate.
 *
 * @example
 * const apiserver = await startFakeApiServer(dir.path);
 * const kubeConfig = new KubeConfig(); kubeConfig.loadFromFile(apiserver.kubeconfigFile);
 */
export async function startFakeApiServer(dir: string): Promise<FakeApiServer> {
  const { key, cert } = selfSignedCertificate(dir, '127.0.0.1', 'apiserver');
  const callerToken = `mesh-sa-${randomUUID()}`;
  const tokens = new Map<string, FakeToken>();
  const reviews: ReviewSeen[] = [];
  const pending = new Set<ServerResponse>();
  const state = { mode: 'normal' as ApiServerMode };

  const server: Server = createServer({ key, cert }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      reviews.push({ authorization: request.headers.authorization, body });
      const send = (status: number, payload: unknown, raw?: string): void => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(raw ?? JSON.stringify(payload));
      };
      const statusObject = (code: number, reason: string, message: string) => ({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message,
        reason,
        code,
      });
      if (request.method !== 'POST' || request.url !== '/apis/authentication.k8s.io/v1/tokenreviews') {
        send(404, statusObject(404, 'NotFound', 'the server could not find the requested resource'));
        return;
      }
      if (request.headers.authorization !== `Bearer ${callerToken}`) {
        send(401, statusObject(401, 'Unauthorized', 'Unauthorized'));
        return;
      }
      switch (state.mode) {
        case 'slow':
          pending.add(response);
          return;
        case 'garbage':
          send(201, undefined, '<html>502 Bad Gateway</html>');
          return;
        case 'wrong-shape':
          send(201, undefined, '[1,2,3]');
          return;
        case 'forbidden':
          send(
            403,
            statusObject(
              403,
              'Forbidden',
              'tokenreviews.authentication.k8s.io is forbidden: User "system:serviceaccount:shop:rampart-mesh" cannot create resource "tokenreviews" in API group "authentication.k8s.io" at the cluster scope',
            ),
          );
          return;
        case 'error':
          send(500, statusObject(500, 'InternalError', 'etcdserver: request timed out'));
          return;
        case 'normal':
        case 'audience-unaware':
          break;
      }
      const spec = (
        typeof body === 'object' && body !== null ? (body as { spec?: unknown }).spec : undefined
      ) as { token?: unknown; audiences?: unknown } | undefined;
      const token = typeof spec?.token === 'string' ? spec.token : '';
      const requested = Array.isArray(spec?.audiences)
        ? (spec.audiences as string[])
        : ['https://kubernetes.default.svc'];
      const known = tokens.get(token);
      const review = {
        kind: 'TokenReview',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: { creationTimestamp: null },
        spec,
      };
      const refuse = (error: string): void => {
        send(201, { ...review, status: { user: {}, error } });
      };
      if (known === undefined) {
        refuse('[invalid bearer token, service account token has been invalidated]');
        return;
      }
      const audiences = known.audiences.filter((audience) => requested.includes(audience));
      if (state.mode === 'normal' && audiences.length === 0) {
        refuse(
          `[invalid bearer token, token audiences ${JSON.stringify(known.audiences)} is invalid for the target audiences ${JSON.stringify(requested)}]`,
        );
        return;
      }
      send(201, {
        ...review,
        status: {
          authenticated: true,
          user: {
            username: `system:serviceaccount:${known.namespace}:${known.serviceAccount}`,
            uid: randomUUID(),
            groups: [
              'system:serviceaccounts',
              `system:serviceaccounts:${known.namespace}`,
              'system:authenticated',
            ],
            ...(known.pod === undefined
              ? {}
              : {
                  extra: {
                    'authentication.kubernetes.io/credential-id': [`JTI=${randomUUID()}`],
                    'authentication.kubernetes.io/node-name': ['node-1'],
                    'authentication.kubernetes.io/node-uid': [randomUUID()],
                    'authentication.kubernetes.io/pod-name': [known.pod.name],
                    'authentication.kubernetes.io/pod-uid': [known.pod.uid],
                  },
                }),
          },
          ...(state.mode === 'audience-unaware' ? {} : { audiences }),
        },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfigFile = join(dir, 'kubeconfig.yaml');
  await writeFile(
    kubeconfigFile,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '  - name: fake',
      '    cluster:',
      `      server: ${url}`,
      `      certificate-authority-data: ${Buffer.from(cert).toString('base64')}`,
      'users:',
      '  - name: rampart-mesh',
      '    user:',
      `      token: ${callerToken}`,
      'contexts:',
      '  - name: fake',
      '    context: { cluster: fake, user: rampart-mesh }',
      'current-context: fake',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );

  return {
    url,
    kubeconfigFile,
    callerToken,
    get mode() {
      return state.mode;
    },
    set mode(mode: ApiServerMode) {
      state.mode = mode;
    },
    reviews,
    issue(token) {
      const now = Math.floor(Date.now() / 1000);
      const jwt = `${b64({ alg: 'RS256', kid: 'fake' })}.${b64({
        aud: token.audiences,
        exp: now + 600,
        iat: now,
        iss: 'https://kubernetes.default.svc',
        jti: randomUUID(),
        sub: `system:serviceaccount:${token.namespace}:${token.serviceAccount}`,
      })}.${Buffer.from(randomUUID()).toString('base64url')}`;
      tokens.set(jwt, token);
      return jwt;
    },
    revoke(token) {
      tokens.delete(token);
    },
    async close() {
      for (const response of pending) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}
