import { Agent, request } from 'undici';

/** Media types a key set may be served as: JSON, and RFC 7517 §8.5's own (what oidc-provider sends). */
const JWKS_MEDIA_TYPES: ReadonlySet<string> = new Set(['application/json', 'application/jwk-set+json']);

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '[::1]']);

export interface JwksFetcherOptions {
  readonly url: URL;
  /** Whole-request deadline (connect, headers and body), in milliseconds. */
  readonly timeoutMs: number;
  /** Largest body accepted, in bytes. */
  readonly maxResponseBytes: number;
  /** Trust anchors for the issuer's TLS certificate (PEM); the system store when absent. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /**
   * An origin to connect to in place of the URL's own (the gateway's local listener, for the key
   * set of its own `/auth` mount behind a `gateway.publicUrl` it cannot reach from inside). The
   * request still names the URL's host (`Host`, TLS server name): the certificate must be valid for it.
   */
  readonly connectTo?: URL;
}

/** Fetches one key-set document. Rejects with an `Error` whose message says why. */
export interface JwksFetcher {
  fetch(): Promise<unknown>;
  /** Aborts any fetch in flight and releases connections. */
  close(): Promise<void>;
}

/**
 * Checks the key-set URL once, at construction: HTTPS, or plain HTTP to a loopback address
 * only under `dangerouslyAllowHttp`. Throws `TypeError` naming the fix (a configuration error).
 */
export function checkJwksUrl(input: string | URL, dangerouslyAllowHttp: boolean): URL {
  const url = new URL(input);
  if (url.username !== '' || url.password !== '') {
    throw new TypeError('JWKS url must not carry credentials');
  }
  if (url.hash !== '') throw new TypeError('JWKS url must not have a fragment');
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && dangerouslyAllowHttp && LOOPBACK_HOSTS.has(url.hostname)) return url;
  if (url.protocol === 'http:') {
    throw new TypeError(
      'JWKS url must use https:; plain http is allowed only to 127.0.0.1 or [::1] with dangerouslyAllowHttp: true (tests only)',
    );
  }
  throw new TypeError(`JWKS url must use https:, not ${url.protocol}`);
}

function mediaType(header: string | string[] | undefined): string {
  if (typeof header !== 'string') return '';
  return (header.split(';')[0] ?? '').trim().toLowerCase();
}

/**
 * A fetcher over undici: GET only, no redirects followed, a deadline, a size cap enforced
 * while streaming, a JSON media type required, TLS verified against `ca`.
 */
export function createJwksFetcher(options: JwksFetcherOptions): JwksFetcher {
  const { url, timeoutMs, maxResponseBytes } = options;
  const { ca: anchors } = options;
  const ca =
    anchors === undefined || typeof anchors === 'string' || Buffer.isBuffer(anchors) ? anchors : [...anchors];
  const dispatcher = new Agent({
    connect: { ...(ca === undefined ? {} : { ca }), rejectUnauthorized: true, timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connections: 2,
  });

  const target =
    options.connectTo === undefined ? url : new URL(`${url.pathname}${url.search}`, options.connectTo);
  const host = options.connectTo === undefined ? {} : { host: url.host };

  async function fetchDocument(): Promise<unknown> {
    const response = await request(target, {
      method: 'GET',
      dispatcher,
      headers: { accept: 'application/jwk-set+json, application/json', ...host },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const { statusCode, headers, body } = response;
    try {
      if (statusCode !== 200) throw new Error(`JWKS endpoint answered ${statusCode}`);
      const type = mediaType(headers['content-type']);
      if (!JWKS_MEDIA_TYPES.has(type)) {
        throw new Error(`JWKS endpoint sent content-type ${JSON.stringify(type.slice(0, 64))}, not JSON`);
      }
      const declared = Number(headers['content-length'] ?? 0);
      if (declared > maxResponseBytes) {
        throw new Error(`JWKS response of ${declared} bytes exceeds the ${maxResponseBytes}-byte cap`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > maxResponseBytes) {
          throw new Error(`JWKS response exceeds the ${maxResponseBytes}-byte cap`);
        }
        chunks.push(chunk);
      }
      try {
        return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
      } catch {
        throw new Error('JWKS response is not valid JSON');
      }
    } finally {
      if (!body.destroyed) {
        // Discarding an unread body aborts it; the abort is expected, not an error to surface.
        body.on('error', () => undefined);
        body.destroy();
      }
    }
  }

  return {
    fetch: fetchDocument,
    close: () => dispatcher.destroy(),
  };
}
