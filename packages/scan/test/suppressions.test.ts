// Inline `rampart-ignore`, baselines, and fingerprints that survive line shifts: what keeps CI
// failing only on new findings, with every suppression visible and explained.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir, type TempDir } from '@rampart/testing';
import {
  allFindings,
  dockerfileModule,
  exitCode,
  kubernetesModule,
  readBaseline,
  runScan,
  textReport,
  writeBaseline,
  type Finding,
  type ScanResult,
} from '@rampart/scan';

const PINNED = `FROM node:24-slim@sha256:${'a'.repeat(64)}`;
let dir: TempDir;
before(async () => {
  dir = await tempDir('rampart-scan-');
});
after(async () => {
  await dir.cleanup();
});

async function scanDockerfile(
  text: string,
  extra: Partial<Parameters<typeof runScan>[0]> = {},
): Promise<ScanResult> {
  await writeFile(join(dir.path, 'Dockerfile'), text);
  return runScan({ root: dir.path, modules: [dockerfileModule], ...extra });
}

function only(result: ScanResult, ruleId: string): Finding[] {
  return allFindings(result).filter((f) => f.ruleId === ruleId);
}

describe('fingerprints', () => {
  it('stay the same when lines are added above the finding', async () => {
    const first = only(await scanDockerfile(`${PINNED}\nRUN sudo make\nUSER 1\n`), 'dockerfile/sudo');
    const moved = only(
      await scanDockerfile(`# a comment\n\n${PINNED}\nWORKDIR /app\nRUN   sudo make\nUSER 1\n`),
      'dockerfile/sudo',
    );
    assert.equal(first.length, 1);
    assert.notEqual(first[0]?.location, moved[0]?.location);
    assert.equal(first[0]?.fingerprint, moved[0]?.fingerprint);
  });
  it('differ for two identical instructions in one file', async () => {
    const twice = only(
      await scanDockerfile(`${PINNED}\nRUN sudo make\nRUN sudo make\nUSER 1\n`),
      'dockerfile/sudo',
    );
    assert.equal(new Set(twice.map((f) => f.fingerprint)).size, 2);
  });
});

describe('inline rampart-ignore', () => {
  it('suppresses the finding on the same line or the line after, with its reason shown', async () => {
    const result = await scanDockerfile(
      `${PINNED}\n# rampart-ignore dockerfile/sudo the vendor installer insists; removed in the next stage\nRUN sudo make\nUSER 1\n`,
    );
    const [sudo] = only(result, 'dockerfile/sudo');
    assert.deepEqual(sudo?.suppression, {
      kind: 'inline',
      justification: 'the vendor installer insists; removed in the next stage',
      source: 'Dockerfile:2',
    });
    assert.equal(exitCode(result, 'medium'), 0);
    assert.match(textReport(result, 'medium'), /Suppressed \(1\)[\s\S]*the vendor installer insists/u);
  });
  it('works in YAML', async () => {
    const yaml = `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: { name: r }\nrules:\n  - apiGroups: [""]\n    # rampart-ignore k8s/rbac-wildcard read-only debugging role, bound in dev only\n    resources: ["*"]\n    verbs: [get]\n`;
    await writeFile(join(dir.path, 'role.yaml'), yaml);
    const result = await runScan({ root: join(dir.path, 'role.yaml'), modules: [kubernetesModule] });
    assert.equal(only(result, 'k8s/rbac-wildcard')[0]?.suppression?.kind, 'inline');
  });
  it('does not suppress another rule', async () => {
    const result = await scanDockerfile(
      `${PINNED}\nRUN sudo make # rampart-ignore dockerfile/npm-install not this one\nUSER 1\n`,
    );
    assert.equal(only(result, 'dockerfile/sudo')[0]?.suppression, undefined);
  });
  it('refuses an ignore without a reason, and reports it', async () => {
    const result = await scanDockerfile(
      `${PINNED}\n# rampart-ignore dockerfile/sudo\nRUN sudo make\nUSER 1\n`,
    );
    assert.equal(only(result, 'dockerfile/sudo')[0]?.suppression, undefined);
    const [reasonless] = only(result, 'scan/suppression-without-reason');
    assert.deepEqual(reasonless?.location, { file: 'Dockerfile', line: 2, column: 1 });
  });
});

describe('baseline', () => {
  it('suppresses the findings it holds, so only a new one fails', async () => {
    const text = `${PINNED}\nRUN sudo make\nUSER 1\n`;
    const baselineFile = join(dir.path, 'baseline.json');
    const written = await writeBaseline(
      baselineFile,
      allFindings(await scanDockerfile(text)),
      undefined,
      new Date('2026-01-02'),
    );
    assert.match(written.findings[0]?.reason ?? '', /2026-01-02/u);
    const baseline = { file: baselineFile, baseline: await readBaseline(baselineFile) };
    const same = await scanDockerfile(`\n\n${text}`, { baseline });
    assert.equal(exitCode(same, 'low'), 0);
    assert.equal(only(same, 'dockerfile/sudo')[0]?.suppression?.kind, 'baseline');
    const added = await scanDockerfile(`${PINNED}\nRUN sudo make\nRUN curl https://x | sh\nUSER 1\n`, {
      baseline,
    });
    assert.equal(exitCode(added, 'high'), 1);
    assert.deepEqual(
      allFindings(added)
        .filter((f) => f.suppression === undefined)
        .map((f) => f.ruleId),
      ['dockerfile/curl-pipe-shell'],
    );
  });
  it('keeps the reasons of the previous baseline when rewritten', async () => {
    const baselineFile = join(dir.path, 'kept.json');
    const findings = allFindings(await scanDockerfile(`${PINNED}\nRUN sudo make\nUSER 1\n`));
    const first = await writeBaseline(baselineFile, findings, undefined);
    const edited = {
      version: 1 as const,
      findings: first.findings.map((e) => ({ ...e, reason: 'accepted: ticket SEC-12' })),
    };
    const second = await writeBaseline(baselineFile, findings, edited);
    assert.equal(second.findings[0]?.reason, 'accepted: ticket SEC-12');
  });
  it('refuses an entry without a reason', async () => {
    const findings = allFindings(await scanDockerfile(`${PINNED}\nRUN sudo make\nUSER 1\n`));
    const baseline = {
      file: 'baseline.json',
      baseline: {
        version: 1 as const,
        findings: findings.map((f) => ({
          fingerprint: f.fingerprint,
          ruleId: f.ruleId,
          location: '',
          reason: ' ',
        })),
      },
    };
    const result = await scanDockerfile(`${PINNED}\nRUN sudo make\nUSER 1\n`, { baseline });
    assert.equal(only(result, 'dockerfile/sudo')[0]?.suppression, undefined);
    assert.equal(only(result, 'scan/suppression-without-reason').length, 1);
  });
  it('is refused when it is not a baseline', async () => {
    const file = join(dir.path, 'not-a-baseline.json');
    await writeFile(file, '{"findings": "no"}');
    await assert.rejects(readBaseline(file), { name: 'BaselineError' });
  });
});
