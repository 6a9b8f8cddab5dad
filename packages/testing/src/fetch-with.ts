import {
  fetch as undiciFetch,
  type Agent,
  type RequestInit as UndiciInit,
  type Response as UndiciResponse,
} from 'undici';

/** The platform's `fetch` shape, as openid-client's `customFetch` and the tests call it. */
export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

/**
 * A `fetch` that goes through `agent` (an undici Agent trusting a test CA, or presenting a client
 * certificate) and answers the platform's Response.
 *
 * @example
 * const agent = new Agent({ connect: { ca: readFileSync(join(home, 'ca.pem'), 'utf8') } });
 * const res = await fetchWith(agent)(`https://127.0.0.1:${port}/auth/.well-known/openid-configuration`);
 */
export function fetchWith(agent: Agent): FetchLike {
  return async (url, init) =>
    asWebResponse(await undiciFetch(url, { ...(init as unknown as UndiciInit), dispatcher: agent }));
}

/** undici's Response as the platform's (what openid-client and the tests expect). */
function asWebResponse(response: UndiciResponse): Response {
  const headers = new Headers();
  for (const [name, value] of response.headers) if (name !== 'set-cookie') headers.append(name, value);
  for (const cookie of response.headers.getSetCookie()) headers.append('set-cookie', cookie);
  const nullBody = [101, 204, 205, 304].includes(response.status);
  return new Response(nullBody ? null : (response.body as ReadableStream<Uint8Array> | null), {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}
