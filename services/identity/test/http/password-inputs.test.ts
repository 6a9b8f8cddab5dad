// The password forms had drifted apart (issue 12, item 3): `maxlength` 128 on the account page's
// change-password form, 1024 on sign-in, while the policy counts 128 code points after NFKC — which
// can take more UTF-16 units than that, so a `maxlength` of 128 cut off valid passwords.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { MAX_PASSWORD_INPUT_UNITS, MIN_PASSWORD_LENGTH } from '../../src/accounts/index.ts';
import { passwordAttributes } from '../../src/pages/form-parts.ts';

const SRC = join(import.meta.dirname, '../../src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('password inputs', () => {
  it('take their attributes from one place, passwordAttributes', () => {
    const elsewhere = sources(SRC)
      .filter((file) => !file.endsWith('form-parts.ts'))
      .filter((file) =>
        /type="password"|autocomplete="(current|new)-password"/u.test(readFileSync(file, 'utf8')),
      )
      .map((file) => relative(SRC, file));
    assert.deepEqual(elsewhere, [], 'a password input written by hand');
  });

  it('accept every password the policy accepts, and ask for its minimum on new ones', () => {
    assert.equal(
      passwordAttributes('current').html.replace(/\s+/gu, ' '),
      ` type="password" autocomplete="current-password" maxlength="${MAX_PASSWORD_INPUT_UNITS}"`,
    );
    assert.equal(
      passwordAttributes('new').html.replace(/\s+/gu, ' '),
      ` type="password" autocomplete="new-password" minlength="${MIN_PASSWORD_LENGTH}" maxlength="${MAX_PASSWORD_INPUT_UNITS}"`,
    );
    // 128 code points outside the BMP: 256 UTF-16 units, which a maxlength of 128 refused.
    assert.ok('𝔸'.repeat(128).length <= MAX_PASSWORD_INPUT_UNITS);
  });
});
