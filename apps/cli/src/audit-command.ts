import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  hiddenEventDetail,
  readExportFile,
  verifyTrail,
  type SearchColumnMismatch,
  type VerifyResult,
} from '@rampart/audit';
import { openAuditTrail, TrailUnavailableError } from './audit-trail.ts';
import type { CommandIo } from './check-command.ts';
import { paint } from './terminal.ts';

const usage = `Usage: rampart audit verify [file] [--json]

Checks the audit trail of the platform described by file (default: rampart.yaml) without trusting
the audit service: recomputes the hash chain of every stored event, checks each signed checkpoint
with the audit signing key's public half, and compares the stored tail with the checkpoints
rampart up copied out of the audit service's reach (.rampart/audit-checkpoints.jsonl), so that a
deleted tail is detected too. Names the first event that was modified, deleted, inserted or
reordered.

Options:
  --json       print the result as one JSON object
  -h, --help   show this help

Exit status: 0 the trail verifies, 1 it does not (tampering or damage), 2 it could not be checked.
`;

const otherVerbs = `Also:
  rampart audit search [file] [filters]   search the trail, newest first (--help for the filters)
  rampart audit tail [file] [filters]     the last events, then each new one as it arrives
`;

/**
 * `rampart audit verify [file] [--json]`; `search` and `tail` are in `audit-search-command.ts`.
 *
 * @example
 * process.exitCode = await auditCommand(['verify', 'examples/shop/rampart.yaml'], io);
 */
export async function auditCommand(argv: string[], io: CommandIo): Promise<number> {
  const [subcommand, ...rest] = argv;
  if (subcommand === '--help' || subcommand === '-h') {
    io.stdout.write(`${usage}\n${otherVerbs}`);
    return 0;
  }
  if (subcommand === 'search')
    return (await import('./audit-search-command.ts')).auditSearchCommand(rest, io);
  if (subcommand === 'tail') return (await import('./audit-search-command.ts')).auditTailCommand(rest, io);
  if (subcommand !== 'verify') {
    io.stderr.write(
      `rampart audit: expected verify, search or tail, got ${subcommand === undefined ? 'nothing' : `'${subcommand}'`}\n\n${usage}\n${otherVerbs}`,
    );
    return 2;
  }
  let values: { json?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (error) {
    io.stderr.write(`rampart audit verify: ${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (values.help === true) {
    io.stdout.write(usage);
    return 0;
  }
  const color = paint(io.color);
  let result: VerifyResult;
  let exported: number;
  let hidden: SearchColumnMismatch | undefined;
  let checkpointCopy: string;
  try {
    const { store, location, state } = await openAuditTrail(positionals[0] ?? 'rampart.yaml');
    checkpointCopy = state.auditCheckpoints;
    try {
      if (!existsSync(state.auditSigningPublicKey)) {
        throw new TrailUnavailableError(
          `the audit signing key's public half is not at ${state.auditSigningPublicKey}; start the platform once with rampart up`,
        );
      }
      const publicKey = createPublicKey(readFileSync(state.auditSigningPublicKey));
      const exportedCheckpoints = existsSync(state.auditCheckpoints)
        ? await readExportFile(state.auditCheckpoints)
        : [];
      exported = exportedCheckpoints.length;
      if (!values.json) io.stderr.write(color('gray', `verifying ${location} …\n`));
      // The chain, then the search columns (an edited column could hide an event from search).
      ({ result, hidden } = await verifyTrail(store, { publicKey, exportedCheckpoints }));
    } finally {
      await store.close();
    }
  } catch (error) {
    io.stderr.write(color('red', `✗ cannot verify: ${(error as Error).message}\n`));
    return 2;
  }
  if (hidden !== undefined) {
    const detail = hiddenEventDetail(hidden);
    if (values.json === true) {
      const problem = { kind: 'search_index', seq: hidden.seq, id: hidden.id, detail };
      io.stdout.write(`${JSON.stringify({ ok: false, problem })}\n`);
    } else {
      io.stdout.write(
        `${color('red', '✗')} audit trail does not verify: search index at seq ${hidden.seq} (event ${hidden.id})\n  ${detail}\n`,
      );
    }
    return 1;
  }
  if (values.json === true) {
    io.stdout.write(`${JSON.stringify(resultJson(result))}\n`);
  } else if (result.ok) {
    io.stdout.write(
      `${color('green', '✓')} audit trail verified: ${result.events} events, ${result.checkpoints} checkpoints` +
        ` (${exported} copied out of band); signed through seq ${result.signedThrough}` +
        (result.prunedThrough > 0
          ? `, pruned through seq ${result.prunedThrough} under a signed checkpoint`
          : '') +
        '\n',
    );
    if (exported === 0) {
      io.stdout.write(
        color(
          'yellow',
          `  no out-of-band checkpoint at ${checkpointCopy}: a deleted tail cannot be detected\n`,
        ),
      );
    }
  } else {
    const { problem } = result;
    io.stdout.write(
      `${color('red', '✗')} audit trail does not verify: ${problem.kind} at seq ${problem.seq}` +
        `${problem.id === undefined ? '' : ` (event ${problem.id})`}\n  ${problem.detail}\n` +
        `  ${result.events} events verified before it\n`,
    );
  }
  return result.ok ? 0 : 1;
}

function resultJson(result: VerifyResult): object {
  if (!result.ok) return { ok: false, problem: result.problem, events: result.events };
  return {
    ok: true,
    events: result.events,
    checkpoints: result.checkpoints,
    exportedCheckpoints: result.exportedCheckpoints,
    head: { seq: result.head.seq, hash: Buffer.from(result.head.hash).toString('hex') },
    signedThrough: result.signedThrough,
    prunedThrough: result.prunedThrough,
  };
}
