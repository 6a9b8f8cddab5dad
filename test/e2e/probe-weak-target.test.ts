import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compactVerify, importJWK } from 'jose';
import {
  freePort,
  repoRoot,
  sarifMultitoolProblems,
  sarifSchemaErrors,
  sarifValidatorSkip,
  tempDir,
  type TempDir,
} from '@rampart/testing';
import { startWeakGateway, type WeakGateway } from '../probe-target/weak-gateway.ts';
import { runProbeCli, type ProbeRun } from '../probe-target/run-probe-cli.ts';

const CONFIG = join(repoRoot, 'test/probe-target/rampart.yaml');

/**
 * Each flaw planted in weak-gateway.ts and the rules that must name it. Some flaws show under two
 * rules: reflecting any Origin reflects `null` too, and TLS 1.0 needs the CBC suites the weak-cipher
 * check offers.
 */
const PLANTED: Record<string, readonly string[]> = {
  'a token without exp accepted': ['probe/jwt-no-exp-accepted'],
  'alg none accepted': ['probe/jwt-alg-none'],
  'IDOR on GET /orders/{id}': ['probe/authz-bola'],
  'no rate limit on GET /orders': ['probe/rate-limit-not-enforced'],
  'verbose errors with a stack trace': ['probe/errors-verbose'],
  'CORS reflecting any origin with credentials': ['probe/cors-origin-reflected', 'probe/cors-null-origin'],
  'no HSTS': ['probe/headers-missing-hsts'],
  'TLS 1.0 and 1.1 accepted': ['probe/tls-legacy-version', 'probe/tls-weak-cipher'],
  'X-User-Id believed without a token': ['probe/header-identity-spoofing'],
};

describe('rampart probe against a deliberately weak gateway', () => {
  let gateway: WeakGateway;
  let dir: TempDir;
  let run: ProbeRun;

  before(async () => {
    gateway = await startWeakGateway();
    dir = await tempDir('probe-weak-');
    writeFileSync(join(dir.path, 'ca.pem'), gateway.ca);
    writeFileSync(
      join(dir.path, 'creds.json'),
      JSON.stringify({
        userA: await gateway.token('user-a', 'orders:read orders:write profile:read'),
        userB: await gateway.token('user-b', 'orders:read orders:write profile:read'),
        client: await gateway.token('client:weak-cli', 'orders:read'),
        signingKey: gateway.signingKey,
      }),
      { mode: 0o600 },
    );
    run = await runProbeCli(gateway.url, [
      '--config',
      CONFIG,
      '--credentials',
      join(dir.path, 'creds.json'),
      '--ca',
      join(dir.path, 'ca.pem'),
      '--allow-writes',
      '--rate',
      '50',
      '--write-baseline',
      join(dir.path, 'baseline.json'),
    ]);
  });

  after(async () => {
    await gateway.close();
    await dir.cleanup();
  });

  it('exits 1 with findings', () => {
    assert.equal(run.exitCode, 1, run.stderr);
  });

  for (const [flaw, rules] of Object.entries(PLANTED))
    it(`finds the planted flaw: ${flaw}`, () => {
      const found = new Set(run.report.findings.map((f) => f.ruleId));
      for (const rule of rules) assert.ok(found.has(rule), `${rule} missing; found ${[...found].join(', ')}`);
    });

  it('reports nothing for what the weak gateway does right', () => {
    const planted = new Set(Object.values(PLANTED).flat());
    const extra = run.report.findings.filter((f) => !planted.has(f.ruleId));
    assert.deepEqual(
      extra.map((f) => `${f.ruleId} ${f.location.method} ${f.location.url}: ${f.message}`),
      [],
      'scopes, methods, signature checks, kid/jku/jwk, key confusion, expiry, audience, issuer, paths, framing and schemas are right there',
    );
  });

  it('gives every finding a CWE, evidence and a curl; no token the issuer signed appears in the report', async () => {
    for (const f of run.report.findings) {
      assert.ok(f.cwe.length > 0 && f.cwe.every((n) => n > 0), f.ruleId);
      assert.match(f.reproduction, /(^|\n)(curl|printf) /, f.ruleId);
      assert.ok(f.evidence.request.length > 0 && f.evidence.response.length > 0, f.ruleId);
    }
    const bola = run.report.findings.find((f) => f.ruleId === 'probe/authz-bola');
    assert.match(bola?.reproduction ?? '', /-H "Authorization: Bearer \$TOKEN_B"/);
    const noExp = run.report.findings.find((f) => f.ruleId === 'probe/jwt-no-exp-accepted');
    assert.match(noExp?.reproduction ?? '', /^# FORGED_NO_EXP: .*issuer key/);
    // Forgeries anyone can make (alg none, the probe's own keys) may be shown; a token that verifies
    // under the issuer's key — a user's, or one the probe re-signed with it — never.
    const publicJwk = { ...gateway.signingKey };
    delete publicJwk.d;
    const issuerKey = await importJWK(publicJwk, 'ES256');
    for (const token of run.stdout.match(/eyJ[\w-]+\.[\w-]*\.[\w-]*/g) ?? []) {
      const verified = await compactVerify(token, issuerKey).then(
        () => true,
        () => false,
      );
      assert.equal(verified, false, 'a token signed by the issuer is in the report');
    }
  });

  it('a second run, SARIF with the first run’s baseline: valid, every finding suppressed with its reason, exit 0', async () => {
    const sarif = await runProbeCli(
      gateway.url,
      [
        '--config',
        CONFIG,
        '--credentials',
        join(dir.path, 'creds.json'),
        '--ca',
        join(dir.path, 'ca.pem'),
        '--allow-writes',
        '--rate',
        '50',
        '--baseline',
        join(dir.path, 'baseline.json'),
      ],
      'sarif',
    );
    // Fingerprints leave out tokens, times and the ids of objects the run created: the baseline
    // of the first run covers all of the second, so CI fails only on new findings.
    assert.equal(sarif.exitCode, 0, sarif.stderr);
    const log = JSON.parse(sarif.stdout) as {
      runs: {
        automationDetails: { id: string };
        tool: { driver: { rules: { id: string; helpUri: string }[] } };
        results: {
          ruleId: string;
          partialFingerprints: Record<string, string>;
          suppressions?: { kind: string; justification: string }[];
          properties: { reproduction?: string; evidence?: { request: string; response: string } };
          message: { markdown?: string };
        }[];
      }[];
    };
    assert.equal(log.runs.length, 1);
    const sarifRun = log.runs[0]!;
    assert.equal(sarifRun.automationDetails.id, `rampart-probe/${new URL(gateway.url).origin}/`);
    for (const rule of sarifRun.tool.driver.rules)
      assert.match(rule.helpUri, /^https:\/\/rampart\.dev\/docs\/probe#probe-[a-z0-9-]+$/u);
    assert.deepEqual(
      sarifRun.results.map((r) => r.partialFingerprints['rampartFindingHash/v1']).sort(),
      run.report.findings.map((f) => f.fingerprint).sort(),
    );
    for (const result of sarifRun.results) {
      assert.match(result.suppressions?.[0]?.justification ?? '', /not yet triaged/u, result.ruleId);
      assert.match(result.properties.reproduction ?? '', /(^|\n)(curl|printf) /u, result.ruleId);
      assert.ok((result.properties.evidence?.response.length ?? 0) > 0, result.ruleId);
      assert.match(result.message.markdown ?? '', /```sh\n/u, result.ruleId);
    }
    if (sarifValidatorSkip === false) {
      assert.deepEqual(sarifSchemaErrors(log), []);
      assert.deepEqual(await sarifMultitoolProblems(log), []);
    }
  });

  it('says what it had to leave behind: no DELETE route for the order it created', () => {
    assert.ok(
      run.report.skipped.some((s) => s.check === 'clean-up' && /no DELETE \/orders\/\{id\}/.test(s.reason)),
    );
  });

  it('exits 2 for an unreachable target — never a clean report', async () => {
    const port = await freePort();
    const unreachable = await runProbeCli(`https://127.0.0.1:${port}`, [
      '--config',
      CONFIG,
      '--credentials',
      join(dir.path, 'creds.json'),
    ]);
    assert.equal(unreachable.exitCode, 2);
    assert.match(unreachable.stderr, /could not probe/);
    assert.equal(unreachable.stdout, '');
  });

  it('exits 2 when user A’s token is refused everywhere (expired credentials)', async () => {
    writeFileSync(
      join(dir.path, 'other-issuer.json'),
      JSON.stringify({ userA: 'eyJhbGciOiJFUzI1NiJ9.e30.c2ln', userB: 'eyJhbGciOiJFUzI1NiJ9.e30.c2lnMg' }),
    );
    const refused = await runProbeCli(gateway.url, [
      '--config',
      CONFIG,
      '--credentials',
      join(dir.path, 'other-issuer.json'),
      '--ca',
      join(dir.path, 'ca.pem'),
    ]);
    assert.equal(refused.exitCode, 2, refused.stderr);
    assert.match(refused.stderr, /user A's token was refused/);
  });
});
