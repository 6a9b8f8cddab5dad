import assert from 'node:assert/strict';
import { chmod, chown, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { isRampartError } from '@rampart/errors';
import { tempDir, type TempDir } from '@rampart/testing';
import { FieldCipher, LocalKeyring, type FieldContext } from '../../src/crypto/index.ts';

const AT: FieldContext = { table: 'profiles', column: 'email', row: 'usr_42' };

async function rejectsWithDecryptFailed(promise: Promise<unknown>, message?: string): Promise<void> {
  await assert.rejects(
    promise,
    (error: unknown) => isRampartError(error) && error.code === 'SDK_DECRYPT_FAILED',
    message,
  );
}

let dir: TempDir;
before(async () => {
  dir = await tempDir('rampart-crypto-');
});
after(() => dir.cleanup());

async function freshCipher(name: string) {
  const keyring = await LocalKeyring.open(join(dir.path, name, 'keyring.json'));
  return { keyring, cipher: new FieldCipher(keyring) };
}

describe('FieldCipher', () => {
  it('round-trips and writes the self-describing rf1 format', async () => {
    const { cipher } = await freshCipher('roundtrip');
    const stored = await cipher.encrypt('jane@example.com', AT);
    assert.match(stored, /^rf1\.1\.[A-Za-z0-9_-]{80}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    assert.equal(await cipher.decrypt(stored, AT), 'jane@example.com');
    assert.equal(await cipher.decrypt(await cipher.encrypt('', AT), AT), '');
    // A fresh data key and IV every time: equal plaintexts give unrelated ciphertexts.
    assert.notEqual(await cipher.encrypt('same', AT), await cipher.encrypt('same', AT));
    // Row keys given as numbers and strings name the same row.
    const numeric = { ...AT, row: 42 };
    assert.equal(await cipher.decrypt(await cipher.encrypt('x', numeric), { ...AT, row: '42' }), 'x');
  });

  it('refuses a ciphertext moved to another row, column or table', async () => {
    const { cipher } = await freshCipher('moved');
    const stored = await cipher.encrypt('4242424242424242', AT);
    for (const elsewhere of [
      { ...AT, row: 'usr_43' },
      { ...AT, column: 'phone' },
      { ...AT, table: 'payments' },
      { table: 'profilese', column: 'mail', row: 'usr_42' }, // same concatenation, other split
    ]) {
      await rejectsWithDecryptFailed(cipher.decrypt(stored, elsewhere), JSON.stringify(elsewhere));
    }
  });

  it('refuses any single-bit flip anywhere in the value', async () => {
    const { cipher } = await freshCipher('bitflip');
    const stored = await cipher.encrypt('secret value', AT);
    const bytes = Buffer.from(stored, 'latin1');
    for (let i = 0; i < bytes.length; i += 1) {
      for (let bit = 0; bit < 8; bit += 1) {
        const flipped = Buffer.from(bytes);
        flipped[i] = flipped[i]! ^ (1 << bit);
        await rejectsWithDecryptFailed(
          cipher.decrypt(flipped.toString('latin1'), AT),
          `byte ${i} bit ${bit}`,
        );
      }
    }
  });

  it('refuses malformed values, unknown and wrong key versions, and another keyring', async () => {
    const { cipher } = await freshCipher('versions');
    const other = await freshCipher('other');
    const stored = await cipher.encrypt('x', AT);
    const parts = stored.split('.');
    for (const bad of [
      '',
      'rf1',
      'plain text',
      `rf2.${parts.slice(1).join('.')}`,
      `rf1.99.${parts.slice(2).join('.')}`,
      `rf1.01.${parts.slice(2).join('.')}`,
      `rf1.0.${parts.slice(2).join('.')}`,
      `${stored}.extra`,
      `${parts.slice(0, 3).join('.')}.${parts[3]!.slice(1)}.${parts[4]}`,
    ]) {
      await rejectsWithDecryptFailed(cipher.decrypt(bad, AT), bad);
    }
    await rejectsWithDecryptFailed(other.cipher.decrypt(stored, AT));
  });

  it('rotates: old values decrypt, need re-encryption, and re-encrypt to the active version', async () => {
    const { keyring, cipher } = await freshCipher('rotate');
    const old = await cipher.encrypt('jane@example.com', AT);
    assert.equal(cipher.needsReencryption(old), false);
    assert.equal(await keyring.rotate(), 2);
    assert.deepEqual(
      keyring.keys().map(({ version, state }) => [version, state]),
      [
        [1, 'decrypt-only'],
        [2, 'active'],
      ],
    );
    assert.equal(cipher.needsReencryption(old), true);
    assert.equal(await cipher.decrypt(old, AT), 'jane@example.com');
    const renewed = await cipher.reencrypt(old, AT);
    assert.match(renewed, /^rf1\.2\./);
    assert.equal(cipher.needsReencryption(renewed), false);
    assert.equal(await cipher.reencrypt(renewed, AT), renewed);
    assert.equal(await cipher.decrypt(renewed, AT), 'jane@example.com');
    // A value's version pointed at the other key fails.
    await rejectsWithDecryptFailed(cipher.decrypt(renewed.replace(/^rf1\.2\./, 'rf1.1.'), AT));
    // reencrypt checks the value first.
    await rejectsWithDecryptFailed(cipher.reencrypt(old, { ...AT, row: 'other' }));
  });

  it('sees a rotation made by another process', async () => {
    const { keyring, cipher } = await freshCipher('shared');
    const elsewhere = await LocalKeyring.open(keyring.file);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await elsewhere.rotate();
    const written = await new FieldCipher(elsewhere).encrypt('x', AT);
    assert.equal(await cipher.decrypt(written, AT), 'x');
    assert.equal(keyring.activeVersion(), 2);
  });

  it('round-trips any well-formed Unicode string', async () => {
    const { cipher } = await freshCipher('unicode');
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        fc.string({ minLength: 1 }),
        async (text, row) => {
          const where = { ...AT, row };
          assert.equal(await cipher.decrypt(await cipher.encrypt(text, where), where), text);
        },
      ),
      { numRuns: 200 },
    );
    await assert.rejects(cipher.encrypt('\uD800', AT), TypeError);
  });

  it('treats misuse as a TypeError that names the fix', async () => {
    const { cipher } = await freshCipher('misuse');
    await assert.rejects(cipher.encrypt('x', { ...AT, table: '' }), /context\.table/);
    await assert.rejects(cipher.encrypt('x', { ...AT, row: Number.NaN }), /context\.row/);
    await assert.rejects(cipher.encrypt(42 as unknown as string, AT), TypeError);
  });
});

describe('LocalKeyring', () => {
  it('creates the file 0600 (directory 0700) with one active key', async () => {
    const { keyring } = await freshCipher('modes');
    assert.equal((await stat(keyring.file)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir.path, 'modes'))).mode & 0o777, 0o700);
    await keyring.rotate();
    assert.equal((await stat(keyring.file)).mode & 0o777, 0o600);
    assert.equal(keyring.keys().filter((key) => key.state === 'active').length, 1);
  });

  it('refuses a keyring that others may read, or that is malformed, without quoting it', async () => {
    const { keyring } = await freshCipher('refuse');
    await chmod(keyring.file, 0o644);
    await assert.rejects(LocalKeyring.open(keyring.file), /chmod 600/);
    // Group-readable is a Kubernetes Secret's mount (0440, the pod's fsGroup): only for our own group.
    await chmod(keyring.file, 0o440);
    assert.equal((await LocalKeyring.open(keyring.file)).activeVersion(), 1);
    await chown(keyring.file, process.getuid?.() ?? 0, (process.getegid?.() ?? 0) + 4242).catch(
      () => undefined,
    );
    if ((await stat(keyring.file)).gid !== process.getegid?.()) {
      await assert.rejects(LocalKeyring.open(keyring.file), /chmod 600/);
    }
    await chmod(keyring.file, 0o460);
    await assert.rejects(LocalKeyring.open(keyring.file), /chmod 600/, 'group write refused');
    await chmod(keyring.file, 0o600);
    const content = JSON.parse(await readFile(keyring.file, 'utf8')) as {
      keys: { state: string; key: string }[];
    };
    const key = content.keys[0]!.key;
    for (const broken of [
      { ...content, keys: [{ ...content.keys[0], state: 'decrypt-only' }] },
      { ...content, keys: [content.keys[0], { ...content.keys[0], version: 2 }] },
      { ...content, keys: [{ ...content.keys[0], key: key.slice(0, -4) }] },
      { ...content, format: 'other' },
    ]) {
      await writeFile(keyring.file, JSON.stringify(broken), { mode: 0o600 });
      await assert.rejects(LocalKeyring.open(keyring.file), (error: Error) => {
        assert.ok(!error.message.includes(key.slice(0, 20)), error.message);
        return /is invalid/.test(error.message);
      });
    }
    await writeFile(keyring.file, `{"format": "rampart-keyring/1", "keys": [${key}`, { mode: 0o600 });
    await assert.rejects(
      LocalKeyring.open(keyring.file),
      (error: Error) => !error.message.includes(key.slice(0, 20)),
    );
  });

  it('never shows a key in errors, util.inspect or JSON', async () => {
    const { keyring, cipher } = await freshCipher('leak');
    const content = JSON.parse(await readFile(keyring.file, 'utf8')) as {
      indexKey: string;
      keys: { key: string }[];
    };
    const secrets = [content.indexKey, ...content.keys.map((key) => key.key)].flatMap((b64) => [
      b64,
      Buffer.from(b64, 'base64').toString('hex'),
      Buffer.from(b64, 'base64').toString('base64url'),
    ]);
    const stored = await cipher.encrypt('x', AT);
    let failure: unknown;
    try {
      await cipher.decrypt(stored, { ...AT, row: 'elsewhere' });
    } catch (error) {
      failure = error;
    }
    const shown = [
      inspect(keyring, { showHidden: true, depth: Infinity }),
      inspect(cipher, { showHidden: true, depth: Infinity }),
      inspect(keyring.indexRootKey(), { showHidden: true, depth: Infinity }),
      inspect(failure, { showHidden: true, depth: Infinity }),
      JSON.stringify(keyring),
      JSON.stringify(cipher),
      JSON.stringify(keyring.indexRootKey()),
      JSON.stringify(failure),
      String(failure),
      JSON.stringify(keyring.keys()),
    ].join('\n');
    for (const secret of secrets) assert.ok(!shown.includes(secret), 'a key leaked');
    assert.match(shown, /activeVersion/);
  });
});
