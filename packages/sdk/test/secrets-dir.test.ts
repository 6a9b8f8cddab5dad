// RAMPART_SECRETS_DIR: on Kubernetes a component reads its secret variables from the files of a
// mounted Secret instead of rampart up's IPC channel. The directory is laid out as the kubelet lays
// out a Secret volume (each key a link into `..data`), and every way a file could leak or be
// planted is refused, naming the file and never its content.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { componentEnv } from '@rampart/config';
import { readSecretsDirectory, receiveLaunchSecrets, type ProcessIds } from '@rampart/sdk';
import { tempDir, type TempDir } from '@rampart/testing';

const SECRET = 'correct horse battery staple';
const SQL = componentEnv.sqlPassword.name;
const me: ProcessIds = { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 };

/** A Secret volume as the kubelet writes it: `..<timestamp>/KEY`, `..data` → it, `KEY` → `..data/KEY`. */
async function secretVolume(root: string, files: Record<string, string>, mode = 0o400): Promise<string> {
  const dir = join(root, `volume-${Math.random().toString(16).slice(2)}`);
  const stamped = join(dir, '..2026_01_01_00_00_00.000000001');
  await mkdir(stamped, { recursive: true });
  await symlink('..2026_01_01_00_00_00.000000001', join(dir, '..data'));
  for (const [name, value] of Object.entries(files)) {
    await writeFile(join(stamped, name), value);
    await chmod(join(stamped, name), mode);
    await symlink(join('..data', name), join(dir, name));
  }
  return dir;
}

describe('readSecretsDirectory: the secret variables of a mounted Secret', () => {
  let tmp: TempDir;
  before(async () => {
    tmp = await tempDir('rampart-secrets-dir-');
  });
  after(() => tmp.cleanup());

  it('reads each variable from the file named after it, through the kubelet links, one trailing newline dropped', async () => {
    const dir = await secretVolume(tmp.path, { [SQL]: `${SECRET}\n`, OTHER_PASSWORD: 'two\nlines' });
    assert.deepEqual(await readSecretsDirectory(dir, me), { OTHER_PASSWORD: 'two\nlines', [SQL]: SECRET });
  });

  it("accepts a file its group can read when the group is the process's own (the pod's fsGroup)", async () => {
    const dir = await secretVolume(tmp.path, { [SQL]: SECRET }, 0o440);
    assert.deepEqual(await readSecretsDirectory(dir, me), { [SQL]: SECRET });
  });

  const refusals: readonly {
    readonly name: string;
    readonly make: () => Promise<string>;
    readonly ids?: ProcessIds;
    readonly reason: RegExp;
  }[] = [
    {
      name: 'a file others can read',
      make: () => secretVolume(tmp.path, { [SQL]: SECRET }, 0o404),
      reason: /mode 0404 lets other users at it/,
    },
    {
      name: 'a file its group can write',
      make: () => secretVolume(tmp.path, { [SQL]: SECRET }, 0o460),
      reason: /lets its group write it/,
    },
    {
      name: "a file another group can read (not the process's)",
      make: () => secretVolume(tmp.path, { [SQL]: SECRET }, 0o440),
      ids: { uid: me.uid, gid: me.gid + 4242 },
      reason: /lets group \d+ read it, which is not this process's/,
    },
    {
      name: 'a file of another user',
      make: async () => {
        const dir = await secretVolume(tmp.path, { [SQL]: SECRET });
        await chown(join(dir, '..data', SQL), 4242, me.gid);
        return dir;
      },
      ids: { uid: me.uid === 0 ? 4343 : me.uid, gid: me.gid },
      reason: /belongs to user 4242/,
    },
    {
      name: 'a link out of the directory',
      make: async () => {
        const outside = join(tmp.path, 'outside.txt');
        await writeFile(outside, SECRET, { mode: 0o400 });
        const dir = await secretVolume(tmp.path, {});
        await symlink(outside, join(dir, SQL));
        return dir;
      },
      reason: /links out of the directory/,
    },
    {
      name: 'a directory named like a variable',
      make: async () => {
        const dir = await secretVolume(tmp.path, {});
        await mkdir(join(dir, SQL), { mode: 0o700 });
        return dir;
      },
      reason: /not a regular file/,
    },
    {
      name: 'a FIFO (never blocks the start)',
      make: async () => {
        const dir = await secretVolume(tmp.path, {});
        execFileSync('mkfifo', ['-m', '0600', join(dir, SQL)]);
        return dir;
      },
      reason: /not a regular file/,
    },
    {
      name: 'an empty file',
      make: () => secretVolume(tmp.path, { [SQL]: '' }),
      reason: /it is empty/,
    },
    {
      name: 'a file larger than a secret',
      make: () => secretVolume(tmp.path, { [SQL]: 'x'.repeat(64 * 1024 + 1) }),
      reason: /larger than 65536 bytes/,
    },
  ];
  for (const refusal of refusals) {
    it(`refuses ${refusal.name}, naming the file and never its content`, async () => {
      const dir = await refusal.make();
      await assert.rejects(readSecretsDirectory(dir, refusal.ids ?? me), (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.match(
          error.message,
          new RegExp(`^${componentEnv.secretsDir.name}=.*: refusing the secret file ${SQL}: `),
        );
        assert.match(error.message, refusal.reason);
        assert.ok(!error.message.includes(SECRET));
        return true;
      });
    });
  }

  it('refuses a directory it cannot read', async () => {
    await assert.rejects(
      readSecretsDirectory(join(tmp.path, 'missing'), me),
      /cannot read the directory \(ENOENT\)/,
    );
  });
});

describe(`receiveLaunchSecrets with ${componentEnv.secretsDir.name}`, () => {
  let tmp: TempDir;
  before(async () => {
    tmp = await tempDir('rampart-secrets-dir-');
  });
  after(() => tmp.cleanup());

  it("sets the directory's variables in the process's own table, where ${env:…} references resolve", async () => {
    const dir = await secretVolume(tmp.path, { [SQL]: SECRET });
    const target: Record<string, string | undefined> = {};
    const secrets = await receiveLaunchSecrets({ env: { [componentEnv.secretsDir.name]: dir }, target });
    assert.deepEqual(secrets, { env: { [SQL]: SECRET } });
    assert.equal(target[SQL], SECRET);
  });

  it('refuses the directory and the IPC channel together', async () => {
    const dir = await secretVolume(tmp.path, { [SQL]: SECRET });
    const env = { [componentEnv.secretsDir.name]: dir, [componentEnv.launchSecrets.name]: 'ipc' };
    await assert.rejects(receiveLaunchSecrets({ env, target: {} }), /are both set/);
  });

  it('refuses a relative directory', async () => {
    await assert.rejects(
      receiveLaunchSecrets({ env: { [componentEnv.secretsDir.name]: 'secrets' }, target: {} }),
      new RegExp(`${componentEnv.secretsDir.name} must be an absolute path`),
    );
  });

  it('changes nothing when one file is refused', async () => {
    const dir = await secretVolume(tmp.path, { A_PASSWORD: 'fine', [SQL]: SECRET }, 0o404);
    const target: Record<string, string | undefined> = {};
    await assert.rejects(receiveLaunchSecrets({ env: { [componentEnv.secretsDir.name]: dir }, target }));
    assert.deepEqual(target, {});
  });
});
