// The NetworkPolicies against rampart.yaml's call graph: the exported policies are exactly the
// declared edges; one rule more (an undeclared connection) or one less (a declared call refused, on
// either side) is a finding at the rule or policy that causes it; no rampart.yaml, no NetworkPolicy
// or another installation's pods: nothing to compare, no finding and no failure.
import assert from 'node:assert/strict';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isFileLocation, kubernetesModule, runScan } from '@rampart/scan';
import { tempDir } from '@rampart/testing';
import { FIXTURES } from '../rule-fixtures.ts';

const EDGE_RULES = new Set(['k8s/undeclared-edge-allowed', 'k8s/declared-edge-blocked']);
const EXPORTED = join(FIXTURES, 'kubernetes', 'undeclared-edge-allowed.negative');

interface EdgeFinding {
  readonly ruleId: string;
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

async function edgeFindings(root: string): Promise<EdgeFinding[]> {
  const result = await runScan({ root, modules: [kubernetesModule] });
  const [outcome] = result.modules;
  assert.deepEqual(outcome?.failures, []);
  return outcome.findings
    .filter((finding) => EDGE_RULES.has(finding.ruleId))
    .map(({ ruleId, location, message }) => {
      assert.ok(isFileLocation(location));
      return { ruleId, file: location.file, line: location.line, message };
    });
}

/** The exported fixture in a temp directory, its network-policies.yaml changed by `edit`. */
async function variant(
  edit: (policies: string) => string,
  run: (root: string) => Promise<void>,
  drop: readonly string[] = [],
): Promise<void> {
  const dir = await tempDir('rampart-scan-callgraph-');
  try {
    await cp(EXPORTED, dir.path, { recursive: true });
    const file = join(dir.path, 'network-policies.yaml');
    const text = await readFile(file, 'utf8');
    const edited = edit(text);
    assert.notEqual(edited === text && drop.length === 0, true, 'the edit changed nothing');
    await writeFile(file, edited);
    for (const name of drop) await rm(join(dir.path, name));
    await run(dir.path);
  } finally {
    await dir.cleanup();
  }
}

const THINGS_TO_LEDGER_EGRESS = `    # things → ledger :7102/TCP (ledger.callers)
    - to:
        - podSelector:
            matchLabels:
              app.kubernetes.io/name: svc-ledger
      ports:
        - port: 7102
          protocol: TCP
`;

describe('k8s: NetworkPolicies versus the call graph of rampart.yaml', () => {
  it('finds nothing in the policies `rampart export k8s` writes', async () => {
    assert.deepEqual(await edgeFindings(EXPORTED), []);
  });

  it('reports one undeclared connection, at the ingress rule that admits it', async () => {
    const findings = await edgeFindings(join(FIXTURES, 'kubernetes', 'undeclared-edge-allowed.positive'));
    assert.equal(findings.length, 1, JSON.stringify(findings));
    const [finding] = findings;
    assert.equal(finding?.ruleId, 'k8s/undeclared-edge-allowed');
    assert.match(finding.message, /^ledger → things :7101\/TCP is let through by NetworkPolicy svc-things/u);
    const text = await readFile(
      join(FIXTURES, 'kubernetes', 'undeclared-edge-allowed.positive', finding.file),
      'utf8',
    );
    assert.match(text.split('\n')[finding.line - 1] ?? '', /^\s+- from:/u);
    assert.match(text.split('\n')[finding.line + 2] ?? '', /svc-ledger/u);
  });

  it('reports a declared call refused at the callee (ingress)', async () => {
    const findings = await edgeFindings(join(FIXTURES, 'kubernetes', 'declared-edge-blocked.positive'));
    assert.deepEqual(
      findings.map((finding) => [finding.ruleId, finding.message]),
      [
        [
          'k8s/declared-edge-blocked',
          "things → ledger :7102/TCP (ledger.callers) is declared in rampart.yaml but no ingress rule of ledger's NetworkPolicies admits it",
        ],
      ],
    );
  });

  it('reports a declared call refused at the caller (egress)', async () => {
    await variant(
      (text) => text.replace(THINGS_TO_LEDGER_EGRESS, ''),
      async (root) => {
        const findings = await edgeFindings(root);
        assert.equal(findings.length, 1, JSON.stringify(findings));
        assert.match(findings[0]?.message ?? '', /no egress rule of things's NetworkPolicies/u);
      },
    );
  });

  it('reports a rule widened to every port (the admin port is not a declared call)', async () => {
    await variant(
      (text) =>
        text
          .replace(THINGS_TO_LEDGER_EGRESS, THINGS_TO_LEDGER_EGRESS.replace(/ {6}ports:\n(?: .*\n){2}/u, ''))
          .replace(
            /( {4}# things → ledger :7102\/TCP \(ledger\.callers\)\n {4}- from:\n(?: .*\n){3})(?: .*\n){3}/u,
            '$1',
          ),
      async (root) => {
        const findings = await edgeFindings(root);
        assert.deepEqual(
          findings.map((finding) => finding.message.split(' is let through')[0]),
          ['things → ledger :8102/TCP'],
        );
      },
    );
  });

  it('skips cleanly without a rampart.yaml', async () => {
    await variant(
      (text) => text,
      async (root) => {
        assert.deepEqual(await edgeFindings(root), []);
      },
      ['rampart.yaml'],
    );
  });

  it('skips cleanly without a NetworkPolicy', async () => {
    await variant(
      (text) => text,
      async (root) => {
        assert.deepEqual(await edgeFindings(root), []);
      },
      ['network-policies.yaml'],
    );
  });

  it("skips pods of another installation (their instance label is not the config's name)", async () => {
    await variant(
      (text) => text.replace(THINGS_TO_LEDGER_EGRESS, ''),
      async (root) => {
        const workloads = join(root, 'workloads.yaml');
        await writeFile(
          workloads,
          (await readFile(workloads, 'utf8')).replaceAll(
            'app.kubernetes.io/instance: demo',
            'app.kubernetes.io/instance: other',
          ),
        );
        assert.deepEqual(await edgeFindings(root), []);
      },
    );
  });

  it('keeps two exports of one installation in one tree apart (each directory with its rampart.yaml)', async () => {
    const dir = await tempDir('rampart-scan-callgraph-');
    try {
      await cp(EXPORTED, join(dir.path, 'clean'), { recursive: true });
      await cp(join(FIXTURES, 'kubernetes', 'declared-edge-blocked.positive'), join(dir.path, 'drifted'), {
        recursive: true,
      });
      const findings = await edgeFindings(dir.path);
      assert.deepEqual(
        findings.map((finding) => [finding.ruleId, finding.file]),
        [['k8s/declared-edge-blocked', 'drifted/network-policies.yaml']],
      );
    } finally {
      await dir.cleanup();
    }
  });
});
