import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  checkPasswordPolicy,
  commonPasswords,
  COMMON_PASSWORDS_FILE,
  MIN_PASSWORD_LENGTH,
  type PolicyReason,
} from '../../src/accounts/index.ts';

type Case = readonly [
  name: string,
  password: string,
  expected: PolicyReason | 'ok',
  context?: { username: string; displayName?: string },
];

const alice = { username: 'alice' };

const cases: readonly Case[] = [
  ['11 characters', 'abcdefghijk', 'too_short'],
  ['12 characters', 'abcdefghijkl', 'ok'],
  ['12 code points, one astral (13 UTF-16 units)', 'abcdefghijk\u{1F511}', 'ok'],
  ['11 code points, one astral (12 UTF-16 units)', 'abcdefghij\u{1F511}', 'too_short'],
  ['4 ligatures become 12 letters under NFKC', '\ufb03\ufb03\ufb03\ufb03', 'ok'],
  ['128 characters', 'a1b2'.repeat(32), 'ok'],
  ['129 characters', `${'a1b2'.repeat(32)}x`, 'too_long'],
  ['a megabyte', 'x'.repeat(1 << 20), 'too_long'],
  ['a common password of 12 characters', 'qwerty123456', 'common'],
  ['a common password, other case', 'QWERTY123456', 'common'],
  [
    'a common password, full width',
    '\uff51\uff57\uff45\uff52\uff54\uff59\uff11\uff12\uff13\uff14\uff15\uff16',
    'common',
  ],
  ['another list member', '1qaz2wsx3edc', 'common'],
  ['a common password with something added', 'qwerty123456!', 'ok'],
  ['the username inside', 'i-am-alice-1234', 'contains_username'],
  ['the username inside, other case', 'I-AM-ALICE-1234', 'contains_username'],
  [
    'the local part of an e-mail username',
    'bob.smith-secret',
    'contains_username',
    { username: 'bob.smith@example.com' },
  ],
  [
    'the display name',
    'carol danvers rules',
    'contains_username',
    { username: 'cd', displayName: 'Carol  Danvers' },
  ],
  ['a two-letter username is not searched for', 'albatross-soup', 'ok', { username: 'al' }],
];

describe('checkPasswordPolicy', () => {
  for (const [name, password, expected, context = alice] of cases) {
    it(`${name}: ${expected}`, () => {
      const result = checkPasswordPolicy(password, context);
      assert.equal(result.ok ? 'ok' : result.reason, expected);
      if (!result.ok) assert.ok(!result.message.includes(password), 'the message never repeats the password');
    });
  }

  it('minimum is 12', () => {
    assert.equal(MIN_PASSWORD_LENGTH, 12);
  });

  it('ships the 10,000 most common passwords, with their source, and refuses every one long enough to matter', () => {
    const text = readFileSync(COMMON_PASSWORDS_FILE, 'utf8');
    assert.match(text.split('\n')[0] ?? '', /^# source: @zxcvbn-ts\/language-common@4\.1\.3, MIT$/);
    const list = commonPasswords();
    assert.equal(list.size, 10_000);
    assert.ok(list.has('123456') && list.has('password'));
    let checked = 0;
    for (const entry of list) {
      if (Array.from(entry).length < MIN_PASSWORD_LENGTH) continue;
      checked += 1;
      const result = checkPasswordPolicy(entry, { username: 'zz-unrelated-user' });
      assert.equal(result.ok ? 'ok' : result.reason, 'common', entry);
    }
    assert.ok(checked >= 20);
  });
});
