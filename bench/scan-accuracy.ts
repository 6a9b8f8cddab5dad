/**
 * Question: how accurate is each `rampart scan` module on a labelled corpus — recall and precision
 * against issue 15's targets (recall ≥ 0.95, precision ≥ 0.9) — and how long does `rampart scan .`
 * take on this repository (target < 20 s on 2 cores)?
 *
 *   node bench/scan-accuracy.ts [--rules] [--speed-rounds 3] [--scan-args "…"] [--no-write]
 *
 * For each module, `packages/scan/test/corpus/<module-id>/expected.json` labels the corpus by hand:
 * `{ "<file relative to the module's corpus dir>": { "<rule-id>": <count>, … }, … }`; a file not
 * listed expects no finding. The module runs alone on its directory (suppressed findings count:
 * the rule fired), and per (file, rule) TP = min(expected, found), FN = expected − TP,
 * FP = found − TP. A module without a corpus directory is reported as "no corpus". Prints one row
 * per module (and per rule with --rules), every disagreement, the scan's wall time (median of
 * --speed-rounds runs of the CLI as a child process), and writes
 * bench/results/scan-accuracy-<date>.md (figures as a table and as JSON, machine, Node, date).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import {
  allFindings,
  createDepsModule,
  osvAdvisories,
  runScan,
  SCAN_MODULES,
  type ScanModule,
} from '@rampart/scan';
import { cliMain, repoRoot } from '@rampart/testing';

const { values: args } = parseArgs({
  options: {
    rules: { type: 'boolean', default: false },
    'speed-rounds': { type: 'string', default: '3' },
    'scan-args': { type: 'string', default: '' },
    'no-write': { type: 'boolean', default: false },
  },
});
const TARGET_RECALL = 0.95;
const TARGET_PRECISION = 0.9;
const CORPUS = join(repoRoot, 'packages/scan/test/corpus');

interface Score {
  tp: number;
  fp: number;
  fn: number;
}
interface Disagreement {
  readonly file: string;
  readonly rule: string;
  readonly expected: number;
  readonly found: number;
}
interface ModuleResult {
  readonly module: string;
  readonly status: 'scored' | 'no corpus' | 'could not scan';
  readonly files?: number;
  readonly score?: Score;
  readonly recall?: number | null;
  readonly precision?: number | null;
  readonly met?: boolean;
  readonly rules?: Record<string, Score & { recall: number | null; precision: number | null }>;
  readonly disagreements?: readonly Disagreement[];
  readonly failures?: readonly string[];
}

type Expected = Record<string, Record<string, number>>;

/** expected.json, checked: a bad label file is a broken benchmark, not a score. */
function readExpected(file: string, module: ScanModule, dir: string): Expected {
  const data: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new TypeError(`${file}: expected { "<file>": { "<rule-id>": <count> } }`);
  for (const [path, rules] of Object.entries(data as Record<string, unknown>)) {
    if (!existsSync(join(dir, path))) throw new TypeError(`${file}: ${path} does not exist`);
    if (typeof rules !== 'object' || rules === null || Array.isArray(rules))
      throw new TypeError(`${file}: ${path} must map rule ids to counts`);
    for (const [rule, count] of Object.entries(rules as Record<string, unknown>)) {
      if (!module.rules.has(rule))
        throw new TypeError(`${file}: ${path}: ${rule} is not a rule of ${module.id}`);
      if (!Number.isInteger(count) || (count as number) < 0)
        throw new TypeError(`${file}: ${path}: ${rule} must be a count (an integer ≥ 0)`);
    }
  }
  return data as Expected;
}

const ratio = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);

async function scoreModule(module: ScanModule): Promise<ModuleResult> {
  const dir = join(CORPUS, module.id);
  const labels = join(dir, 'expected.json');
  if (!existsSync(labels)) return { module: module.id, status: 'no corpus' };
  const expected = readExpected(labels, module, dir);
  const result = await runScan({ root: dir, modules: [module], exclude: ['expected.json'] });
  const failures = result.modules.flatMap((m) => m.failures.map((f) => `${f.file ?? ''}: ${f.message}`));
  const found = new Map<string, number>();
  for (const finding of allFindings(result)) {
    if (!module.rules.has(finding.ruleId) || !('file' in finding.location)) continue; // scan/… rules
    const key = `${finding.location.file}\u0000${finding.ruleId}`;
    found.set(key, (found.get(key) ?? 0) + 1);
  }
  const wanted = new Map<string, number>();
  for (const [file, rules] of Object.entries(expected))
    for (const [rule, count] of Object.entries(rules)) wanted.set(`${file}\u0000${rule}`, count);
  const total: Score = { tp: 0, fp: 0, fn: 0 };
  const perRule = new Map<string, Score>([...module.rules.keys()].map((id) => [id, { tp: 0, fp: 0, fn: 0 }]));
  const disagreements: Disagreement[] = [];
  for (const key of new Set([...found.keys(), ...wanted.keys()])) {
    const [file = '', rule = ''] = key.split('\u0000');
    const e = wanted.get(key) ?? 0;
    const f = found.get(key) ?? 0;
    const tp = Math.min(e, f);
    const score = perRule.get(rule) ?? { tp: 0, fp: 0, fn: 0 };
    score.tp += tp;
    score.fn += e - tp;
    score.fp += f - tp;
    perRule.set(rule, score);
    total.tp += tp;
    total.fn += e - tp;
    total.fp += f - tp;
    if (e !== f) disagreements.push({ file, rule, expected: e, found: f });
  }
  disagreements.sort((a, b) => a.file.localeCompare(b.file) || a.rule.localeCompare(b.rule));
  const recall = ratio(total.tp, total.tp + total.fn);
  const precision = ratio(total.tp, total.tp + total.fp);
  return {
    module: module.id,
    status: failures.length > 0 ? 'could not scan' : 'scored',
    files: result.files,
    score: total,
    recall,
    precision,
    met: failures.length === 0 && (recall ?? 1) >= TARGET_RECALL && (precision ?? 1) >= TARGET_PRECISION,
    rules: Object.fromEntries(
      [...perRule].map(([id, s]) => [
        id,
        { ...s, recall: ratio(s.tp, s.tp + s.fn), precision: ratio(s.tp, s.tp + s.fp) },
      ]),
    ),
    disagreements,
    failures,
  };
}

const fixed = (value: number | null | undefined): string =>
  value === null || value === undefined ? 'n/a' : value.toFixed(3);

/**
 * The module as the corpus needs it: `deps` checks against the corpus's own OSV advisories (the
 * default asks registry.npmjs.org, whose answers change and which a runner may not reach).
 */
function forCorpus(module: ScanModule): ScanModule {
  if (module.id !== 'deps') return module;
  return createDepsModule({ advisories: osvAdvisories(join(CORPUS, 'deps', 'advisories')) });
}

const results: ModuleResult[] = [];
for (const module of SCAN_MODULES) results.push(await scoreModule(forCorpus(module)));

const moduleTable = [
  '| module | files | TP | FP | FN | recall | precision | target (recall ≥ 0.95, precision ≥ 0.9) |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ...results.map((r) =>
    r.status === 'no corpus'
      ? `| ${r.module} | | | | | | | no corpus |`
      : `| ${r.module} | ${r.files} | ${r.score?.tp} | ${r.score?.fp} | ${r.score?.fn} | ${fixed(r.recall)} | ${fixed(r.precision)} | ${r.status === 'could not scan' ? 'could not scan' : r.met === true ? 'met' : 'NOT MET'} |`,
  ),
].join('\n');
const ruleTable = [
  '| rule | TP | FP | FN | recall | precision |',
  '| --- | ---: | ---: | ---: | ---: | ---: |',
  ...results.flatMap((r) =>
    Object.entries(r.rules ?? {}).map(
      ([id, s]) => `| ${id} | ${s.tp} | ${s.fp} | ${s.fn} | ${fixed(s.recall)} | ${fixed(s.precision)} |`,
    ),
  ),
].join('\n');
const disagreements = results.flatMap((r) =>
  (r.disagreements ?? []).map(
    (d) => `- ${r.module}: ${d.file} ${d.rule}: expected ${d.expected}, found ${d.found}`,
  ),
);
const failures = results.flatMap((r) => (r.failures ?? []).map((f) => `- ${r.module}: ${f}`));

/** `rampart scan .` on this repository as a user runs it: the CLI in a child process, wall time. */
async function scanSpeed(rounds: number): Promise<{ ms: number[]; median: number; exitCodes: number[] }> {
  const extra = args['scan-args'].split(/\s+/u).filter((a) => a !== '');
  const ms: number[] = [];
  const exitCodes: number[] = [];
  for (let i = 0; i < rounds; i += 1) {
    const started = performance.now();
    const code = await promisify(execFile)(
      process.execPath,
      [cliMain, 'scan', '.', '--format', 'json', ...extra],
      {
        cwd: repoRoot,
        maxBuffer: 256 * 1024 * 1024,
      },
    ).then(
      () => 0,
      (error: unknown) => {
        const code = (error as { code?: unknown }).code;
        return typeof code === 'number' ? code : -1;
      },
    );
    ms.push(Math.round(performance.now() - started));
    exitCodes.push(code);
  }
  const sorted = [...ms].sort((a, b) => a - b);
  return { ms, median: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN, exitCodes };
}
const rounds = Number(args['speed-rounds']);
const speed = rounds > 0 ? await scanSpeed(rounds) : undefined;
const speedLine =
  speed === undefined
    ? 'scan speed: not measured (--speed-rounds 0)'
    : `rampart scan . on this repository: median ${(speed.median / 1000).toFixed(1)} s wall of ${rounds} runs (${speed.ms.map((m) => (m / 1000).toFixed(1)).join(', ')} s; exit ${speed.exitCodes.join(', ')}) — target < 20 s: ${speed.median < 20_000 ? 'met' : 'NOT MET'}`;

process.stdout.write(`${moduleTable}\n\n`);
if (args.rules) process.stdout.write(`${ruleTable}\n\n`);
process.stdout.write(
  disagreements.length === 0 ? 'every label agrees\n' : `disagreements:\n${disagreements.join('\n')}\n`,
);
if (failures.length > 0) process.stdout.write(`could not scan:\n${failures.join('\n')}\n`);
process.stdout.write(`\n${speedLine}\n`);

const cpu = cpus();
const machine = {
  cpu: cpu[0]?.model ?? 'unknown',
  cores: cpu.length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  platform: `${platform()} ${arch()}`,
  node: process.version,
};
const date = new Date().toISOString();
process.stdout.write(`${machine.cpu}, ${machine.cores} cores, Node ${machine.node}\n`);

if (!args['no-write']) {
  const report = `# rampart scan: accuracy on the labelled corpus, and speed — ${date.slice(0, 10)}

Question: how accurate is each \`rampart scan\` module on a corpus labelled by hand
(\`packages/scan/test/corpus/<module>/expected.json\`: realistic files — this project's own
Dockerfile, exported manifests and rampart.yaml files, typical real-world insecure and hardened
ones), against issue 15's targets recall ≥ ${TARGET_RECALL} and precision ≥ ${TARGET_PRECISION}?
Each module runs alone on its directory; per (file, rule) TP = min(expected, found), FN = expected
− TP, FP = found − TP (suppressed findings count: the rule fired). And how long does
\`rampart scan .\` take on this repository (target < 20 s on 2 cores)? (\`node bench/scan-accuracy.ts\`)

${moduleTable}

Per rule:

${ruleTable}

${disagreements.length === 0 ? 'Every label agrees with the scanner.' : `Disagreements:\n\n${disagreements.join('\n')}`}

${speedLine}. \`rampart probe\` against the shop is measured by test/e2e/probe.test.ts (target < 60 s).

Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.platform}, Node ${machine.node}. Date: ${date}.

\`\`\`json
${JSON.stringify({ benchmark: 'scan-accuracy', date, machine, targets: { recall: TARGET_RECALL, precision: TARGET_PRECISION, scanSeconds: 20 }, modules: results, scanSpeed: speed ?? null }, null, 2)}
\`\`\`
`;
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `scan-accuracy-${date.slice(0, 10)}.md`);
  writeFileSync(file, report);
  process.stdout.write(`wrote ${file}\n`);
}
