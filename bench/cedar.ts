/**
 * Question: what does a Cedar policy add to the gateway's `authorize` stage per request, against
 * the same stage with a scopes-only policy, measured in the same process?
 *
 *   node bench/cedar.ts [--iterations 50000] [--rounds 5] [--no-write]
 *
 * Cases (the principal, route and request as the pipeline builds them):
 *   scopes only        `{ scopes: [orders:read] }`: the baseline, no Cedar.
 *   owner, repeat      an ownership rule (`resource.userId == principal.sub`); 1000 users cycling,
 *                      as clients reuse tokens: after the first pass every decision is cached.
 *   owner, fresh       the same rule, every request a new subject: every request is evaluated by
 *                      cedar-wasm (the decision cache never hits, and evicts at its bound).
 *   all attributes     a rule naming every principal, resource and context attribute, fresh
 *                      subjects: the most a request ever sends into the Wasm module.
 *
 * Prints µs per request and the added cost, and writes bench/results/cedar-<date>.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { PolicyConfig } from '@rampart/config';
import {
  authorize,
  compileCedarPolicySet,
  type AccessPrincipal,
  type CedarCheck,
} from '@rampart/gateway/testing';

const { values: args } = parseArgs({
  options: {
    iterations: { type: 'string', default: '50000' },
    rounds: { type: 'string', default: '5' },
    'no-write': { type: 'boolean', default: false },
  },
});
const iterations = Number(args.iterations);
const rounds = Number(args.rounds);

const OWNER =
  'permit(principal, action == Action::"GET", resource) when { resource.userId == principal.sub };';
const ALL = [
  'permit(principal, action, resource) when {',
  '  resource.userId == principal.sub && resource.service == "orders" &&',
  '  principal.scopes.contains("orders:read") && !principal.groups.contains("suspended") &&',
  '  principal.amr.contains("pwd") && principal.clientId like "shop-*" &&',
  '  !context.ip.isInRange(ip("10.0.0.0/8")) && (context.mfa || action == Action::"GET")',
  '};',
].join('\n');

const template = '/users/{userId}/orders';
const principalOf = (subject: string): AccessPrincipal => ({
  subject,
  clientId: 'shop-web',
  scopes: ['orders:read', 'orders:write', 'profile:read'],
  groups: ['customers'],
  amr: ['pwd', 'otp'],
  acr: undefined,
});
const checkOf = (set: ReturnType<typeof compileCedarPolicySet>, subject: string): CedarCheck => ({
  policySet: set,
  request: { method: 'GET', template, service: 'orders', params: { userId: subject }, ip: '192.0.2.10' },
});

interface Case {
  readonly name: string;
  readonly policy: PolicyConfig;
  /** One authorization of request `i`. */
  run(i: number): void;
}

function cedarCase(name: string, text: string, subjectOf: (i: number) => string): Case {
  const set = compileCedarPolicySet(name, text);
  set.checkRoute({ label: `GET ${template}`, paramNames: ['userId'] });
  const policy: PolicyConfig = { scopes: ['orders:read'], cedar: text };
  return {
    name,
    policy,
    run(i) {
      const subject = subjectOf(i);
      authorize(policy, principalOf(subject), checkOf(set, subject));
    },
  };
}

let fresh = 0;
const cases: Case[] = [
  {
    name: 'scopes only (baseline)',
    policy: { scopes: ['orders:read'] },
    run(i) {
      authorize({ scopes: ['orders:read'] }, principalOf(`user-${i % 1000}`));
    },
  },
  cedarCase('owner, repeat (1000 users)', OWNER, (i) => `user-${i % 1000}`),
  cedarCase('owner, fresh subject', OWNER, () => `fresh-${fresh++}`),
  cedarCase('all attributes, fresh subject', ALL, () => `fresh-${fresh++}`),
];

function measure(run: (i: number) => void): number {
  for (let i = 0; i < Math.min(iterations, 5000); i++) run(i);
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) run(i);
  return Number(process.hrtime.bigint() - started) / 1e3 / iterations;
}

const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
for (let round = 0; round < rounds; round++) {
  for (const c of cases)
    samples.get(c.name)?.push(
      measure((i) => {
        c.run(i);
      }),
    );
}
const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const baseline = median(samples.get(cases[0]?.name ?? '') ?? []);
const rows = cases.map((c) => {
  const us = median(samples.get(c.name) ?? []);
  return {
    case: c.name,
    usPerRequest: Math.round(us * 100) / 100,
    addedUs: Math.round((us - baseline) * 100) / 100,
  };
});

const table = [
  '| case | µs/request | added vs baseline |',
  '| --- | ---: | ---: |',
  ...rows.map((r) => `| ${r.case} | ${r.usPerRequest.toFixed(2)} | ${r.addedUs.toFixed(2)} µs |`),
].join('\n');
process.stdout.write(`${table}\n`);

if (!args['no-write']) {
  const date = new Date().toISOString().slice(0, 10);
  const cpu = cpus();
  const machine = {
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    platform: `${platform()} ${arch()}`,
    node: process.version,
  };
  const report = `# Cedar in the authorize stage (${date})

Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}.
${iterations} requests per round after a warm-up, ${rounds} rounds, medians; one process, no I/O.
\`authorize(policy, principal, cedar)\` exactly as the pipeline's \`authorize\` stage calls it, for
\`GET ${template}\`, a principal with 3 scopes, 1 group, 2 amr values.

${table}

- **owner, repeat** is what clients that reuse tokens see: the decision cache (4096 entries per
  policy set) answers without entering the Wasm module.
- **fresh subject** is the worst case: every request is evaluated by cedar-wasm
  (\`statefulIsAuthorized\` on the policy set parsed at load). Most of that cost is converting the
  entities into the Wasm module, which is why only the attributes a policy names are sent.

\`\`\`json
${JSON.stringify({ benchmark: 'cedar', date, machine, iterations, rounds, results: rows }, null, 2)}
\`\`\`
`;
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `cedar-${date}.md`);
  writeFileSync(file, report);
  process.stdout.write(`wrote ${file}\n`);
}
