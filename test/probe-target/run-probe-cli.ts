// Runs `rampart probe` as a user would (the CLI as a child process) and reads its JSON report.
import { execFile } from 'node:child_process';
import { cliMain } from '@rampart/testing';

/** A finding of the JSON report: `@rampart/scan`'s Finding, on a URL, with evidence and a curl. */
export interface ProbeRunFinding {
  readonly ruleId: string;
  readonly severity: string;
  readonly cwe: readonly number[];
  readonly location: { readonly url: string; readonly method?: string; readonly route?: string };
  readonly message: string;
  readonly reproduction: string;
  readonly evidence: { readonly request: string; readonly response: string };
  readonly fingerprint: string;
  readonly suppression?: { readonly kind: string; readonly justification: string };
}

export interface ProbeRun {
  readonly exitCode: number;
  /** The JSON report (`--format json`, the default here); empty for another format or none. */
  readonly report: {
    /** Unsuppressed. */
    readonly findings: readonly ProbeRunFinding[];
    readonly suppressed: readonly ProbeRunFinding[];
    readonly skipped: readonly { check: string; reason: string }[];
    readonly requests: number;
    readonly durationMs: number;
  };
  readonly stdout: string;
  readonly stderr: string;
  readonly wallMs: number;
}

/**
 * `rampart probe <url> --format <format> …args` (format `json` unless told); never rejects on a
 * non-zero exit (the caller asserts it).
 */
export function runProbeCli(
  url: string,
  args: readonly string[],
  format: 'json' | 'sarif' | 'text' = 'json',
): Promise<ProbeRun> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [cliMain, 'probe', url, '--format', format, ...args],
      { encoding: 'utf8', maxBuffer: 32 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } },
      (_error, stdout, stderr) => {
        const wallMs = Date.now() - started;
        let report: ProbeRun['report'] = {
          findings: [],
          suppressed: [],
          skipped: [],
          requests: 0,
          durationMs: 0,
        };
        if (format === 'json' && stdout.trim().startsWith('{'))
          report = JSON.parse(stdout) as ProbeRun['report'];
        resolve({ exitCode: child.exitCode ?? -1, report, stdout, stderr, wallMs });
      },
    );
  });
}
