// Runs `rampart probe` as a user would (the CLI as a child process) and reads its JSON report.
import { execFile } from 'node:child_process';
import { cliMain } from '@rampart/testing';

export interface ProbeRun {
  readonly exitCode: number;
  readonly report: {
    readonly findings: readonly {
      ruleId: string;
      severity: string;
      cwe: number;
      method: string;
      url: string;
      message: string;
      reproduction: string;
      evidence: { request: string; response: string };
      fingerprint: string;
    }[];
    readonly skipped: readonly { check: string; reason: string }[];
    readonly requests: number;
    readonly durationMs: number;
  };
  readonly stdout: string;
  readonly stderr: string;
  readonly wallMs: number;
}

/** `rampart probe <url> --format json …args`; never rejects on a non-zero exit (the caller asserts it). */
export function runProbeCli(url: string, args: readonly string[]): Promise<ProbeRun> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [cliMain, 'probe', url, '--format', 'json', ...args],
      { encoding: 'utf8', maxBuffer: 32 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } },
      (_error, stdout, stderr) => {
        const wallMs = Date.now() - started;
        let report: ProbeRun['report'] = { findings: [], skipped: [], requests: 0, durationMs: 0 };
        if (stdout.trim().startsWith('{')) report = JSON.parse(stdout) as ProbeRun['report'];
        resolve({ exitCode: child.exitCode ?? -1, report, stdout, stderr, wallMs });
      },
    );
  });
}
