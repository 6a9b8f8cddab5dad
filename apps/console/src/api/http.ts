/** Why a call failed, in the words the pages show. */
export type FailureKind =
  /** No answer at all (network, TLS, the gateway down). */
  | 'unreachable'
  /** 404 or 502/503/504 from an API that is not deployed or not running. */
  | 'unavailable'
  /** 401: the token expired or was revoked; the console signs in again. */
  | 'unauthorized'
  /** 403: the admin API refuses this person (no admin role any more, no MFA). */
  | 'forbidden'
  /** Any other refusal, with the API's own description. */
  | 'refused';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly kind: FailureKind;
  readonly status: number;

  constructor(kind: FailureKind, status: number, message: string) {
    super(message);
    this.kind = kind;
    this.status = status;
  }
}

/** Called on a 401: the console sends the person to sign in again. */
export type OnUnauthorized = () => void;

export interface ApiClient {
  get<T>(url: string): Promise<T>;
  send<T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<T | undefined>;
}

/**
 * JSON over fetch with the admin token as a bearer, same origin only, no cookies. An answer's
 * error description (identity's `error_description`, a problem's `title`) becomes the message.
 */
export function apiClient(token: () => string, onUnauthorized: OnUnauthorized): ApiClient {
  async function call(method: string, url: string, body?: unknown): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        credentials: 'omit',
        headers: {
          authorization: `Bearer ${token()}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch {
      throw new ApiError('unreachable', 0, 'No answer: the gateway is not reachable.');
    }
    if (res.ok) return res;
    const description = await describe(res);
    if (res.status === 401) {
      onUnauthorized();
      throw new ApiError('unauthorized', 401, description ?? 'The session has ended: sign in again.');
    }
    if (res.status === 403) throw new ApiError('forbidden', 403, description ?? 'Refused.');
    if (res.status === 404 || res.status === 502 || res.status === 503 || res.status === 504)
      throw new ApiError('unavailable', res.status, description ?? `HTTP ${res.status}`);
    throw new ApiError('refused', res.status, description ?? `HTTP ${res.status}`);
  }
  return {
    async get<T>(url: string): Promise<T> {
      return (await (await call('GET', url)).json()) as T;
    },
    async send<T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown) {
      const res = await call(method, url, body);
      if (res.status === 204) return undefined;
      const text = await res.text();
      return text === '' ? undefined : (JSON.parse(text) as T);
    },
  };
}

async function describe(res: Response): Promise<string | undefined> {
  try {
    const body = (await res.json()) as Record<string, unknown>;
    for (const key of ['error_description', 'detail', 'title']) {
      const value = body[key];
      if (typeof value === 'string' && value !== '') return value;
    }
  } catch {
    // Not JSON: the status says it.
  }
  return undefined;
}
