/**
 * What a `RampartError` costs with and without the stack V8 captures for it. Every request the
 * gateway refuses (a 401, a 429…) raises one, so the difference is paid per refusal (issue 16: the
 * profile of the gateway's workers under a flood of 401s put the error's constructor at ~4% of
 * their time). Both kinds are made 15 frames deep, like a refusal inside the pipeline.
 *
 * Run: node bench/rampart-error.ts [--iterations 200000] [--rounds 5]
 * Prints ns per error for a 4xx (no stack since issue 16) and a 5xx (stack kept), medians of rounds.
 */
import { parseArgs } from 'node:util';
import { RampartError } from '@rampart/errors';

const { values: args } = parseArgs({
  options: { iterations: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '5' } },
});
const iterations = Number(args.iterations);
const rounds = Number(args.rounds);

function deep(depth: number, make: () => unknown): unknown {
  return depth === 0 ? make() : deep(depth - 1, make);
}

function nsPerError(make: () => unknown): number {
  const start = process.hrtime.bigint();
  let last: unknown;
  for (let i = 0; i < iterations; i++) last = deep(15, make);
  if (last === undefined) throw new Error('unreachable');
  return Number(process.hrtime.bigint() - start) / iterations;
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const cases: [string, () => unknown][] = [
  ['4xx RampartError (GW_TOKEN_MISSING), no stack', () => new RampartError('GW_TOKEN_MISSING')],
  ['5xx RampartError (SDK_INTERNAL), stack kept', () => new RampartError('SDK_INTERNAL')],
  ['plain Error, stack (the baseline)', () => new Error('baseline')],
];
const results = new Map<string, number[]>(cases.map(([name]) => [name, []]));
for (let round = 0; round < rounds; round++) {
  for (const [name, make] of round % 2 === 0 ? cases : [...cases].reverse())
    results.get(name)?.push(nsPerError(make));
}
const baseline = median(results.get(cases[2]?.[0] ?? '') ?? []);
process.stdout.write(`| error | ns per error | ÷ plain Error |\n| --- | ---: | ---: |\n`);
for (const [name, values] of results) {
  const ns = median(values);
  process.stdout.write(`| ${name} | ${ns.toFixed(0)} | ${(ns / baseline).toFixed(2)} |\n`);
}
