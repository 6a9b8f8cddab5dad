import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { isRampartError } from '@rampart/errors';
import { resolveSecret, Secret } from '@rampart/config';

const VALUE = 'hunter2-very-secret';

describe('Secret never prints its value', () => {
  const secret = new Secret(VALUE);
  const printed: [string, string][] = [
    ['JSON.stringify', JSON.stringify({ secret })],
    ['String()', String(secret)],
    ['template literal', `${secret.toString()} ${String(secret)}`],
    ['concatenation', 'x' + String(secret)],
    ['util.inspect', inspect({ nested: { secret } }, { depth: 10 })],
    ['util.inspect showHidden', inspect(secret, { showHidden: true })],
  ];
  for (const [how, text] of printed) {
    it(`via ${how}`, () => {
      assert.ok(!text.includes(VALUE), text);
      assert.ok(text.includes('[redacted]'), text);
    });
  }
  it('template literal with the object itself', () => {
    // eslint's restrict-template-expressions forbids this in product code; it must still be safe.
    const text = `<${secret as unknown as string}>`;
    assert.equal(text, '<[redacted]>');
  });
  it('reveal() returns the value', () => {
    assert.equal(secret.reveal(), VALUE);
  });
  it('structuredClone does not carry the value', () => {
    assert.ok(!JSON.stringify(structuredClone(secret)).includes(VALUE));
  });
});

describe('resolveSecret', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rampart-secret-'));
    await writeFile(join(dir, 'client.secret'), `${VALUE}\n`);
    await writeFile(join(dir, 'empty.secret'), '');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads ${env:NAME}', async () => {
    process.env.RAMPART_TEST_SECRET = VALUE;
    try {
      assert.equal((await resolveSecret('${env:RAMPART_TEST_SECRET}', dir)).reveal(), VALUE);
    } finally {
      delete process.env.RAMPART_TEST_SECRET;
    }
  });

  it('reads ${file:path} relative to the config dir, without the trailing newline', async () => {
    assert.equal((await resolveSecret('${file:client.secret}', dir)).reveal(), VALUE);
  });

  it('fills references inside a URL', async () => {
    process.env.RAMPART_TEST_PGPASS = 'pw';
    try {
      const url = await resolveSecret('postgres://app:${env:RAMPART_TEST_PGPASS}@db/shop', dir);
      assert.equal(url.reveal(), 'postgres://app:pw@db/shop');
      assert.equal(String(url), '[redacted]');
    } finally {
      delete process.env.RAMPART_TEST_PGPASS;
    }
  });

  const failures: [string, string, RegExp][] = [
    [
      'an unset variable',
      '${env:RAMPART_TEST_UNSET}',
      /\$\{env:RAMPART_TEST_UNSET\}: environment variable RAMPART_TEST_UNSET is not set/,
    ],
    ['a missing file', '${file:nope.secret}', /\$\{file:nope\.secret\}: .*nope\.secret does not exist/],
    ['an empty file', '${file:empty.secret}', /\$\{file:empty\.secret\}: .*empty\.secret is empty/],
  ];
  for (const [what, ref, message] of failures) {
    it(`fails with CFG_SECRET_UNRESOLVED naming the ref for ${what}`, async () => {
      await assert.rejects(resolveSecret(ref, dir), (error: unknown) => {
        assert.ok(isRampartError(error));
        assert.equal(error.code, 'CFG_SECRET_UNRESOLVED');
        assert.match(error.message, message);
        return true;
      });
    });
  }

  it('refuses a value that is not a reference without echoing it', async () => {
    await assert.rejects(resolveSecret(VALUE, dir), (error: unknown) => {
      assert.ok(isRampartError(error));
      assert.equal(error.code, 'CFG_SECRET_UNRESOLVED');
      assert.ok(!error.message.includes(VALUE));
      assert.ok(!inspect(error).includes(VALUE));
      return true;
    });
  });
});
