import { Agent, request } from 'undici';
import { verifyPeerSpiffeId } from './spiffe-id.ts';

/** Largest response read from the authority. */
export const MAX_RESPONSE_BYTES = 256 * 1024;
/** Per-request timeout (connect, headers and body each). */
export const REQUEST_TIMEOUT_MS = 10_000;

export interface MeshRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  /** Trust anchors: the mesh bundle, PEM. Nothing else is trusted. */
  readonly caPem: string;
  /** The exact SPIFFE ID the server must present. */
  readonly serverSpiffeId: string;
  /** Client certificate and key, for mTLS. */
  readonly certPem?: string;
  readonly keyPem?: string;
  readonly body?: string;
  readonly contentType?: string;
}

export interface MeshResponse {
  readonly status: number;
  readonly json: unknown;
}

/**
 * One request to the authority over TLS 1.3, trusting only the bundle and checking the server's
 * SPIFFE ID. A fresh connection each time: the client certificate changes at every renewal.
 */
export async function meshRequest(options: MeshRequest): Promise<MeshResponse> {
  const agent = new Agent({
    connect: {
      ca: options.caPem,
      ...(options.certPem === undefined ? {} : { cert: options.certPem }),
      ...(options.keyPem === undefined ? {} : { key: options.keyPem }),
      checkServerIdentity: verifyPeerSpiffeId(options.serverSpiffeId),
      minVersion: 'TLSv1.3',
      rejectUnauthorized: true,
      timeout: REQUEST_TIMEOUT_MS,
    },
    maxResponseSize: MAX_RESPONSE_BYTES,
    headersTimeout: REQUEST_TIMEOUT_MS,
    bodyTimeout: REQUEST_TIMEOUT_MS,
  });
  try {
    const response = await request(options.url, {
      dispatcher: agent,
      method: options.method,
      headers: {
        accept: 'application/json',
        ...(options.contentType === undefined ? {} : { 'content-type': options.contentType }),
      },
      ...(options.body === undefined ? {} : { body: options.body }),
    });
    const text = await response.body.text();
    let json: unknown = null;
    try {
      json = text.length === 0 ? null : JSON.parse(text);
    } catch {
      json = null;
    }
    return { status: response.statusCode, json };
  } finally {
    await agent.close();
  }
}

/** A short description of a refused call, without anything the server said beyond its codes. */
export function describeFailure(response: MeshResponse): string {
  const body = response.json;
  if (typeof body === 'object' && body !== null) {
    const fields = body as Record<string, unknown>;
    const code = fields['code'] ?? fields['error'];
    if (typeof code === 'string') return `HTTP ${response.status} ${code}`;
  }
  return `HTTP ${response.status}`;
}
