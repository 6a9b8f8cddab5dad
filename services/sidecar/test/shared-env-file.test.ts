// On Kubernetes the sidecar hands its process (in a container of its own, under a UID of its own)
// the per-pod secrets through `upstream.env` in a directory the two containers share. The file is
// 0640 whatever the umask, so the pod's group (its fsGroup, which every container of the pod has)
// reads it and no other user does; a restarted sidecar keeps the pod's secrets; a link or a
// malformed file is never trusted. The permission cases run real processes under other UIDs
// (setpriv, as root — skipped otherwise).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { tempDir, type TempDir } from '@rampart/testing';
import {
  PROCESS_ENV_FILE,
  PROCESS_VARIABLES,
  podSecrets,
  writeSharedProcessEnvFile,
} from '@rampart/sidecar/process-variables';

const run = promisify(execFile);

function variablesOf(secrets: { proof: string; egress: string }): Record<string, string> {
  return {
    [PROCESS_VARIABLES.port]: '7304',
    [PROCESS_VARIABLES.egressSecret]: secrets.egress,
    [PROCESS_VARIABLES.sidecarSecret]: secrets.proof,
  };
}

describe('upstream.env in the directory shared with the process container', () => {
  let dir: TempDir;
  before(async () => {
    dir = await tempDir('rampart-shared-');
  });
  after(() => dir.cleanup());

  it('is written 0640 whatever the umask, and holds the secrets', () => {
    const previous = process.umask(0o077);
    try {
      const secrets = podSecrets(dir.path);
      const file = writeSharedProcessEnvFile(dir.path, variablesOf(secrets));
      assert.equal(file, join(dir.path, PROCESS_ENV_FILE));
      assert.equal(lstatSync(file).mode & 0o777, 0o640);
      const text = readFileSync(file, 'utf8');
      assert.ok(text.includes(`${PROCESS_VARIABLES.egressSecret}=${secrets.egress}\n`));
      assert.ok(text.includes(`${PROCESS_VARIABLES.sidecarSecret}=${secrets.proof}\n`));
    } finally {
      process.umask(previous);
    }
  });

  it('keeps the pod’s secrets across a restart of the sidecar (the process read them once)', () => {
    const first = podSecrets(dir.path);
    writeSharedProcessEnvFile(dir.path, variablesOf(first));
    const again = podSecrets(dir.path);
    assert.deepEqual(again, first);
  });

  it('makes new secrets for a new pod (an empty directory)', async () => {
    const other = await tempDir('rampart-shared-');
    try {
      assert.notDeepEqual(podSecrets(other.path), podSecrets(dir.path));
    } finally {
      await other.cleanup();
    }
  });

  it('never trusts a link or a malformed file: new secrets, and the link is replaced, not followed', async () => {
    const other = await tempDir('rampart-shared-');
    try {
      const planted = { proof: 'p'.repeat(43), egress: 'e'.repeat(43) };
      const target = join(other.path, 'planted.env');
      writeFileSync(
        target,
        `${PROCESS_VARIABLES.egressSecret}=${planted.egress}\n${PROCESS_VARIABLES.sidecarSecret}=${planted.proof}\n`,
      );
      symlinkSync(target, join(other.path, PROCESS_ENV_FILE));
      const secrets = podSecrets(other.path);
      assert.notDeepEqual(secrets, planted);
      writeSharedProcessEnvFile(other.path, variablesOf(secrets));
      assert.ok(lstatSync(join(other.path, PROCESS_ENV_FILE)).isFile());
      assert.ok(readFileSync(target, 'utf8').includes(planted.egress), 'the link target is untouched');

      for (const text of [
        `${PROCESS_VARIABLES.egressSecret}=short\n${PROCESS_VARIABLES.sidecarSecret}=${planted.proof}\n`,
        `${PROCESS_VARIABLES.sidecarSecret}=${planted.proof}\n`,
        '',
      ]) {
        writeFileSync(join(other.path, PROCESS_ENV_FILE), text);
        const fresh = podSecrets(other.path);
        assert.notEqual(fresh.proof, planted.proof, JSON.stringify(text));
        assert.equal(Buffer.from(fresh.egress, 'base64url').length, 32);
      }
    } finally {
      await other.cleanup();
    }
  });
});

const asRoot = process.getuid?.() === 0;

describe(
  'who can read it: the pod’s UIDs as Kubernetes sets them',
  { skip: asRoot ? false : 'needs root to run processes under other UIDs' },
  () => {
    // As the export writes a pod: the sidecar's UID and GID is the pod's fsGroup; the process's
    // container has a UID and GID of its own and the fsGroup as a supplementary group.
    const SIDECAR = 23_921;
    const APP = 49_738;
    let dir: TempDir;
    let file: string;
    let stateFile: string;
    before(async () => {
      dir = await tempDir('rampart-pod-');
      chmodSync(dir.path, 0o755);
      const shared = join(dir.path, 'shared');
      const state = join(dir.path, 'state');
      for (const [path, mode] of [
        [shared, 0o2750], // read-only in the process's container (its mount), here by mode
        [state, 0o700],
      ] as const) {
        await run('mkdir', ['-m', mode.toString(8), path]);
        chownSync(path, SIDECAR, SIDECAR);
      }
      file = writeSharedProcessEnvFile(shared, variablesOf(podSecrets(shared)));
      chownSync(file, SIDECAR, SIDECAR);
      // What the sidecar keeps for itself (the SDK's files are 0600 in its 0700 state directory).
      stateFile = join(state, 'keyring.json');
      writeFileSync(stateFile, '{}', { mode: 0o600 });
      chownSync(stateFile, SIDECAR, SIDECAR);
    });
    after(() => dir.cleanup());

    async function canRead(path: string, uid: number, groups: readonly number[]): Promise<boolean> {
      try {
        await run('/usr/bin/setpriv', [
          `--reuid=${uid}`,
          `--regid=${uid}`,
          `--groups=${groups.join(',')}`,
          '--',
          '/bin/cat',
          path,
        ]);
        return true;
      } catch {
        return false;
      }
    }

    it('the process (its own UID, the pod’s fsGroup as a supplementary group) reads upstream.env', async () => {
      assert.equal(await canRead(file, APP, [APP, SIDECAR]), true);
    });

    it('another user (not in the pod’s group) does not', async () => {
      assert.equal(await canRead(file, 40_000, [40_000]), false);
    });

    it('the process cannot read the sidecar’s own files, nor write upstream.env', async () => {
      assert.equal(await canRead(stateFile, APP, [APP, SIDECAR]), false);
      await assert.rejects(
        run('/usr/bin/setpriv', [
          `--reuid=${APP}`,
          `--regid=${APP}`,
          `--groups=${APP},${SIDECAR}`,
          '--',
          '/bin/sh',
          '-c',
          `echo x >> ${file}`,
        ]),
      );
    });
  },
);
