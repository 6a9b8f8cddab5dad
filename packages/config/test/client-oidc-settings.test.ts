import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '@rampart/config';
import { edit, problemsOf } from './helpers.ts';

/** BASE with the identity clients written in `lines` (already indented under `clients:`). */
function withClients(lines: readonly string[]): string {
  return edit(['name: shop\n', ['name: shop', 'identity:', '  clients:', ...lines, ''].join('\n')]);
}

describe('identity.clients[]: OpenID Connect settings', () => {
  it('accepts RS256 ID tokens, exact post-logout URIs with a code flow, and a confidential resource server', () => {
    const result = parseConfig(
      withClients([
        '    - id: web',
        '      type: public',
        '      grants: [authorization_code]',
        '      redirectUris: [https://app.example.com/cb]',
        '      postLogoutRedirectUris: [https://app.example.com/bye]',
        '      idTokenSignedResponseAlg: RS256',
        '    - id: kong',
        '      type: confidential',
        '      grants: [client_credentials]',
        '      resourceServer: true',
      ]),
      'rampart.yaml',
    );
    assert.ok(result.ok, JSON.stringify(result.ok ? '' : result.problems));
    const [web, kong] = result.config.identity?.clients ?? [];
    assert.equal(web?.idTokenSignedResponseAlg, 'RS256');
    assert.equal(kong?.resourceServer, true);
  });

  it('refuses a public resource server at its key (introspection needs an authenticated client)', () => {
    assert.deepEqual(
      problemsOf(
        withClients([
          '    - id: spa',
          '      type: public',
          '      grants: [authorization_code]',
          '      redirectUris: [https://app.example.com/cb]',
          '      resourceServer: true',
        ]),
      ).map(({ code, line, message }) => ({ code, line, message })),
      [
        {
          code: 'CFG_INVALID_CLIENT',
          line: 9,
          message: 'client `spa`, `resourceServer`: only for confidential clients',
        },
      ],
    );
  });

  it('refuses an ID token algorithm identity does not offer', () => {
    assert.match(
      JSON.stringify(
        problemsOf(
          withClients([
            '    - id: web',
            '      type: confidential',
            '      grants: [client_credentials]',
            '      idTokenSignedResponseAlg: HS256',
          ]),
        ),
      ),
      /idTokenSignedResponseAlg` must be one of ES256, RS256/,
    );
  });
});
