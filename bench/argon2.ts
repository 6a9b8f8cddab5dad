// Question (issue 12, item 4): can identity hash passwords with Node's own `crypto.argon2` (Node
// 24.7+, OpenSSL's Argon2) instead of the native addon `@node-rs/argon2`, so the component that
// holds the signing keys runs without `--allow-addons`? Only with the same parameters and about
// the same speed: a sign-in's cost is one argon2id verification, and it bounds how many sign-ins
// (and how much password guessing) one identity process absorbs.
//
// How: the parameters identity uses (ARGON2_PARAMS: argon2id v1.3, 19 MiB, 2 passes, 1 lane,
// 32-byte tag, 16-byte salt), each implementation in turn for `rounds` rounds of `iterations`
// hashes, one at a time (a sign-in's latency), then `concurrency` at once (the libuv threadpool for
// Node, the addon's own threads); medians of the rounds. Both must give the same tag for the same
// salt, or the comparison stops.
// Run: node bench/argon2.ts [--iterations 20] [--rounds 5] [--concurrency 4] [--no-write]
import { argon2, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { hash } from '@node-rs/argon2';
import { ARGON2_PARAMS } from '@rampart/identity/testing';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '4' },
    'no-write': { type: 'boolean', default: false },
  },
});
const iterations = Number(values.iterations);
const rounds = Number(values.rounds);
const concurrency = Number(values.concurrency);

const argon2Async = promisify(argon2);
const password = Buffer.from('correct horse battery staple');

type Hasher = (salt: Buffer) => Promise<Buffer>;
const implementations: Record<'addon' | 'node', Hasher> = {
  addon: async (salt) => {
    const phc = await hash(password, { ...ARGON2_PARAMS, salt });
    return Buffer.from(phc.slice(phc.lastIndexOf('$') + 1), 'base64');
  },
  node: (salt) =>
    argon2Async('argon2id', {
      message: password,
      nonce: salt,
      parallelism: ARGON2_PARAMS.parallelism,
      tagLength: ARGON2_PARAMS.outputLen,
      memory: ARGON2_PARAMS.memoryCost,
      passes: ARGON2_PARAMS.timeCost,
    }),
};

const salt = randomBytes(16);
const [fromAddon, fromNode] = await Promise.all([implementations.addon(salt), implementations.node(salt)]);
if (!fromAddon.equals(fromNode)) throw new Error('the two implementations disagree on the same input');

/** Milliseconds per hash: `count` hashes, `parallel` at a time. */
async function measure(hasher: Hasher, count: number, parallel: number): Promise<number> {
  const started = process.hrtime.bigint();
  for (let done = 0; done < count; done += parallel) {
    await Promise.all(
      Array.from({ length: Math.min(parallel, count - done) }, () => hasher(randomBytes(16))),
    );
  }
  return Number(process.hrtime.bigint() - started) / 1e6 / count;
}

const median = (list: readonly number[]): number =>
  [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? NaN;

const figures: Record<string, { serialMs: number; concurrentMs: number }> = {};
for (const name of ['addon', 'node'] as const) await measure(implementations[name], 3, 1); // warm-up
const samples = {
  addon: { serial: [] as number[], concurrent: [] as number[] },
  node: { serial: [] as number[], concurrent: [] as number[] },
};
for (let round = 0; round < rounds; round++) {
  for (const name of round % 2 === 0 ? (['addon', 'node'] as const) : (['node', 'addon'] as const)) {
    samples[name].serial.push(await measure(implementations[name], iterations, 1));
    samples[name].concurrent.push(await measure(implementations[name], iterations, concurrency));
  }
}
for (const name of ['addon', 'node'] as const) {
  figures[name] = { serialMs: median(samples[name].serial), concurrentMs: median(samples[name].concurrent) };
}
const addon = figures['addon'] ?? { serialMs: NaN, concurrentMs: NaN };
const node = figures['node'] ?? { serialMs: NaN, concurrentMs: NaN };
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const date = new Date().toISOString().slice(0, 10);
const report = `# argon2id: Node's crypto.argon2 against @node-rs/argon2 (${date})

Machine: ${machine}. argon2id v1.3, m=${ARGON2_PARAMS.memoryCost} KiB, t=${ARGON2_PARAMS.timeCost}, p=${ARGON2_PARAMS.parallelism}, 32-byte tag
(identity's ARGON2_PARAMS); both give the same tag for the same salt. Medians of ${rounds} rounds of
${iterations} hashes, alternating.

| implementation | ms per hash, one at a time | ms per hash, ${concurrency} at once |
| --- | ---: | ---: |
| @node-rs/argon2 (native addon) | ${addon.serialMs.toFixed(1)} | ${addon.concurrentMs.toFixed(1)} |
| node:crypto argon2 (OpenSSL) | ${node.serialMs.toFixed(1)} | ${node.concurrentMs.toFixed(1)} |
| ratio node / addon | ${(node.serialMs / addon.serialMs).toFixed(2)} | ${(node.concurrentMs / addon.concurrentMs).toFixed(2)} |

\`\`\`json
${JSON.stringify({ machine, params: ARGON2_PARAMS, iterations, rounds, concurrency, figures }, null, 2)}
\`\`\`
`;
process.stdout.write(report);
if (!values['no-write']) {
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `argon2-${date}.md`), report);
}
