// The probe's output goes through @rampart/scan's layer: findings, fingerprints, baseline, exit
// codes, text, JSON and SARIF (validated with ajv and Microsoft's SARIF Multitool). A synthetic
// report here; test/e2e/probe-weak-target.test.ts validates the SARIF of a real run.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatJson,
  formatSarif,
  formatText,
  PROBE_MODULE,
  probeExitCode,
  type ProbeReport,
} from '@rampart/probe';
import { applyBaseline, FINGERPRINT_KEY, resolveFindings, type FindingInput } from '@rampart/scan';
import { sarifMultitoolProblems, sarifSchemaErrors, sarifValidatorSkip } from '@rampart/testing';

const TARGET = 'https://127.0.0.1:8443';

/** A BOLA on an object the run created, as the object-authorization check reports it. */
function bola(origin: string, id: number): FindingInput {
  return {
    ruleId: 'probe/authz-bola',
    location: { url: `${origin}/orders/${id}`, method: 'GET', route: 'GET /orders/{id}' },
    key: 'GET\u0000GET /orders/{id}\u0000read',
    message: `user B read user A's object /orders/${id} (200, the same answer user A gets).`,
    evidence: {
      request: `GET /orders/${id} HTTP/1.1\nAuthorization: Bearer $TOKEN_B`,
      response: 'HTTP/1.1 200\ncontent-type: application/json\n\n{"id":7}',
    },
    reproduction: `curl -sS -i --path-as-is --cacert ca.pem -X GET '${origin}/orders/${id}' -H "Authorization: Bearer $TOKEN_B"`,
  };
}

const HSTS: FindingInput = {
  ruleId: 'probe/headers-missing-hsts',
  location: { url: `${TARGET}/`, method: 'GET' },
  key: '\u0000\u0000',
  message: 'A 200 answer to GET / has no Strict-Transport-Security.',
  evidence: { request: 'GET / HTTP/1.1', response: 'HTTP/1.1 200' },
  reproduction: `curl -sS -i --path-as-is --cacert ca.pem -X GET '${TARGET}/'`,
};

function probeReport(inputs: readonly FindingInput[]): ProbeReport {
  return {
    target: TARGET,
    durationMs: 8600,
    requests: 312,
    findings: resolveFindings(PROBE_MODULE, inputs),
    skipped: [{ check: 'forged tokens', reason: 'no signingKey in the credentials file' }],
    allowWrites: true,
  };
}

describe('probe: findings and fingerprints are the framework’s', () => {
  it('fingerprints name rule, method, route and variant — not the origin, object id or token', () => {
    const [first] = resolveFindings(PROBE_MODULE, [bola(TARGET, 7)]);
    const [again] = resolveFindings(PROBE_MODULE, [bola('https://staging.example.com', 8)]);
    assert.match(first?.fingerprint ?? '', /^[a-f0-9]{32}$/u);
    assert.equal(first?.fingerprint, again?.fingerprint);
    const [write] = resolveFindings(PROBE_MODULE, [{ ...bola(TARGET, 7), key: 'POST\u0000x\u0000write' }]);
    assert.notEqual(write?.fingerprint, first?.fingerprint);
  });

  it('refuses a rule the probe does not declare', () => {
    assert.throws(() => resolveFindings(PROBE_MODULE, [{ ...HSTS, ruleId: 'probe/nope' }]), TypeError);
  });

  it('exits 1 on a finding at --fail-on, 0 below it, 0 once the baseline accepts it', () => {
    const report = probeReport([bola(TARGET, 7), HSTS]);
    assert.equal(probeExitCode(report, 'high'), 1);
    assert.equal(probeExitCode({ ...report, findings: report.findings.slice(1) }, 'high'), 0);
    const accepted = applyBaseline(report.findings, {
      file: '/ci/.rampart-probe-baseline.json',
      baseline: {
        version: 1,
        findings: report.findings.map((f) => ({
          fingerprint: f.fingerprint,
          ruleId: f.ruleId,
          location: '',
          reason: 'staging only; tracked in issue 99',
        })),
      },
    });
    assert.equal(probeExitCode({ ...report, findings: accepted }, 'low'), 0);
    assert.match(formatText({ ...report, findings: accepted }, 'low'), /Suppressed \(2\)[\s\S]*issue 99/u);
  });
});

describe('probe: text and JSON keep the evidence and the curl', () => {
  const report = probeReport([bola(TARGET, 7), HSTS]);

  it('text: grouped by severity, the URL and route, why, fix, evidence, reproduction, not checked', () => {
    const text = formatText(report, 'low');
    assert.match(text, /^rampart probe https:\/\/127\.0\.0\.1:8443 \(writes allowed\)\n/u);
    assert.match(
      text,
      /HIGH \(1\)\n {2}GET https:\/\/127\.0\.0\.1:8443\/orders\/7 \(route GET \/orders\/\{id\}\) {2}probe\/authz-bola \(CWE-639\)/u,
    );
    assert.match(text, /evidence:\n {8}> GET \/orders\/7 HTTP\/1\.1\n {8}> Authorization: Bearer \$TOKEN_B/u);
    assert.match(text, /reproduce:\n {8}curl -sS -i/u);
    assert.match(text, /Not checked \(1\)\n {2}- forged tokens: no signingKey/u);
    assert.match(text, /312 requests in 8\.6 s\) — exit 1\n$/u);
  });

  it('JSON: the framework report plus target, requests and checks not made', () => {
    const json = formatJson(report, 'high');
    assert.equal(json.exitCode, 1);
    assert.equal(json.target, TARGET);
    assert.deepEqual(json.counts, { critical: 0, high: 1, medium: 1, low: 0, info: 0 });
    assert.equal(json.findings[0]?.reproduction, bola(TARGET, 7).reproduction);
    assert.deepEqual(json.findings[0]?.evidence, bola(TARGET, 7).evidence);
  });
});

describe('probe: SARIF', { skip: sarifValidatorSkip }, () => {
  const log = formatSarif(probeReport([bola(TARGET, 7), HSTS]));

  it('is valid SARIF 2.1.0: schema (ajv) and the SARIF multitool, no error or warning', async () => {
    assert.deepEqual(sarifSchemaErrors(log), []);
    assert.deepEqual(await sarifMultitoolProblems(log), []);
  });

  it('has one run per target, every probe rule with a helpUri into docs/probe.md', () => {
    assert.equal(log.runs.length, 1);
    const run = log.runs[0]!;
    assert.equal(run.automationDetails.id, `rampart-probe/${TARGET}/`);
    assert.equal(run.tool.driver['name'], 'rampart probe');
    assert.equal(run.originalUriBaseIds, undefined);
    assert.deepEqual(
      run.tool.driver.rules.map((r) => r.id),
      [...PROBE_MODULE.rules.keys()],
    );
    for (const rule of run.tool.driver.rules)
      assert.equal(rule.helpUri, `https://rampart.dev/docs/probe#${rule.id.replace('/', '-')}`);
  });

  it('keeps the evidence and the curl in each result, the command in message.markdown, no fixes', () => {
    const [result] = log.runs[0]!.results as {
      message: { text: string; markdown: string };
      properties: Record<string, unknown>;
      partialFingerprints: Record<string, string>;
      locations: { physicalLocation: { artifactLocation: { uri: string } } }[];
      fixes?: unknown;
    }[];
    assert.ok(result !== undefined);
    assert.equal(result.locations[0]?.physicalLocation.artifactLocation.uri, `${TARGET}/orders/7`);
    assert.deepEqual(result.properties['evidence'], bola(TARGET, 7).evidence);
    assert.equal(result.properties['reproduction'], bola(TARGET, 7).reproduction);
    assert.equal(result.properties['route'], 'GET /orders/{id}');
    assert.match(result.message.markdown, /```sh\ncurl -sS -i --path-as-is/u);
    assert.match(result.partialFingerprints[FINGERPRINT_KEY] ?? '', /^[a-f0-9]{32}$/u);
    assert.equal(result.fixes, undefined);
  });
});
