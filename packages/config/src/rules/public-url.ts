/**
 * Why `gateway.publicUrl` cannot be the gateway's public origin, else `undefined`. It is compared
 * as it is written (token audiences, DPoP `htu`, redirect URIs are exact strings), so it must be
 * an origin already in its canonical form: https, a host, a port only when not 443, no user info,
 * path (not even `/`), query or fragment, lower case.
 *
 * @example
 * publicUrlProblem('https://api.example.com');       // undefined
 * publicUrlProblem('https://api.example.com/v1');    // 'must be an origin alone …'
 */
export function publicUrlProblem(value: string): string | undefined {
  const url = URL.parse(value);
  if (url === null) return 'is not an absolute URL';
  if (url.protocol !== 'https:') return 'must use https: clients send their tokens to it';
  if (url.origin !== value) {
    return 'must be an origin alone (no path, trailing slash, query, fragment or user info; lower case; no :443)';
  }
  return undefined;
}
