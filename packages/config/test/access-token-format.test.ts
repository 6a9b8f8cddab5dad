import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '@rampart/config';
import { edit, problemsOf } from './helpers.ts';

/** BASE with one identity client whose `accessTokenFormat` line is `format` (or none). */
function withClient(format: string | undefined): string {
  return edit([
    'name: shop\n',
    [
      'name: shop',
      'identity:',
      '  clients:',
      '    - id: shop-cli',
      '      type: confidential',
      '      grants: [client_credentials]',
      ...(format === undefined ? [] : [`      accessTokenFormat: ${format}`]),
      '',
    ].join('\n'),
  ]);
}

describe('identity.clients[].accessTokenFormat', () => {
  it('is jwt or opaque, and may be left out (jwt)', () => {
    for (const format of ['jwt', 'opaque', undefined]) {
      const result = parseConfig(withClient(format), 'rampart.yaml');
      assert.ok(result.ok, String(format));
      assert.equal(result.config.identity?.clients?.[0]?.accessTokenFormat, format);
    }
  });

  it('refuses any other format at its position, naming the allowed ones', () => {
    assert.deepEqual(problemsOf(withClient('paseto')), [
      {
        code: 'CFG_INVALID_VALUE',
        line: 8,
        column: 26,
        message: '`accessTokenFormat` must be one of jwt, opaque, not `paseto`',
      },
    ]);
  });
});
