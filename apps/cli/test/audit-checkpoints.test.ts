import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { AUDIT_CHECKPOINT_MESSAGE, checkpointToJson, readExportFile, signCheckpoint } from '@rampart/audit';
import { tempDir, type TempDir } from '@rampart/testing';
import { AuditCheckpointCopy } from '../src/up/audit-checkpoints.ts';

const audit = generateKeyPairSync('ed25519');
const stranger = generateKeyPairSync('ed25519');

function message(seq: number, key = audit.privateKey): unknown {
  const checkpoint = signCheckpoint({ seq, head: randomBytes(32), time: new Date().toISOString() }, key);
  return { type: AUDIT_CHECKPOINT_MESSAGE, checkpoint: checkpointToJson(checkpoint) };
}

describe("rampart up's copy of the audit checkpoints", () => {
  let dir: TempDir;
  let file: string;
  let copy: AuditCheckpointCopy;
  const refused: string[] = [];

  before(async () => {
    dir = await tempDir('rampart-checkpoint-copy-');
    file = join(dir.path, 'audit-checkpoints.jsonl');
    const publicKeyFile = join(dir.path, 'audit-signing.pub.pem');
    writeFileSync(publicKeyFile, audit.publicKey.export({ type: 'spki', format: 'pem' }));
    copy = new AuditCheckpointCopy(file, publicKeyFile, (reason) => refused.push(reason));
  });
  after(() => dir.cleanup());

  it('keeps what the audit signing key signed, in order, 0600', async () => {
    assert.equal(copy.receive(message(10)), true);
    assert.equal(copy.receive(message(20)), true);
    await copy.flushed();
    assert.deepEqual(
      (await readExportFile(file)).map((checkpoint) => checkpoint.seq),
      [10, 20],
    );
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(refused, []);
  });

  it('refuses a checkpoint another key signed, one that goes back, and a malformed one: the copy is unchanged', async () => {
    copy.receive(message(30, stranger.privateKey));
    copy.receive(message(5));
    copy.receive({ type: AUDIT_CHECKPOINT_MESSAGE, checkpoint: { seq: 40, head: 'zz' } });
    copy.receive({ type: AUDIT_CHECKPOINT_MESSAGE });
    await copy.flushed();
    assert.deepEqual(
      (await readExportFile(file)).map((checkpoint) => checkpoint.seq),
      [10, 20],
    );
    assert.equal(refused.length, 4);
    assert.match(refused[0] ?? '', /not signed by the audit signing key/);
    assert.match(refused[1] ?? '', /goes back from seq 20/);
  });

  it('any other message is not its business; any checkpoint-shaped junk never throws or lands', async () => {
    assert.equal(copy.receive({ type: 'config.applied', revision: 2 }), false);
    assert.equal(copy.receive(null), false);
    fc.assert(
      fc.property(fc.anything(), (checkpoint) => {
        copy.receive({ type: AUDIT_CHECKPOINT_MESSAGE, checkpoint });
      }),
    );
    await copy.flushed();
    assert.equal((await readExportFile(file)).length, 2);
    assert.ok(existsSync(file));
  });
});
