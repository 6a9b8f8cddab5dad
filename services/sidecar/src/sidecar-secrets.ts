import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The two secrets a sidecar makes at every start, shared with its process alone. */
export interface SidecarSecrets {
  /** Sent to the process on every forwarded request (`x-rampart-sidecar`): proof the sidecar sent it. */
  readonly proof: string;
  /** Required from the process on every egress request (`x-rampart-egress-secret`). */
  readonly egress: string;
}

/** The variables the process of `run` gets (and an external process reads from `upstream.env`). */
export const PROCESS_VARIABLES = {
  port: 'PORT',
  host: 'HOST',
  egressUrl: 'RAMPART_EGRESS_URL',
  egressSecret: 'RAMPART_EGRESS_SECRET',
  sidecarSecret: 'RAMPART_SIDECAR_SECRET',
  service: 'RAMPART_SERVICE',
} as const;

/** 256 random bits each, base64url: new at every start, so a leaked one dies with that run. */
export function createSidecarSecrets(): SidecarSecrets {
  return { proof: randomBytes(32).toString('base64url'), egress: randomBytes(32).toString('base64url') };
}

/**
 * Whether `presented` is `expected`, in time independent of where they differ (both are hashed
 * first, so their lengths leak nothing either). Absent or repeated headers never match.
 */
export function secretMatches(presented: string | string[] | undefined, expected: string): boolean {
  if (typeof presented !== 'string') return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * For a process `rampart up` does not start: `<stateDir>/upstream.env` (0600, in the sidecar's
 * 0700 directory, so only its user reads it) with the same variables the process of `run` gets.
 * It changes at every start of the sidecar.
 */
export function writeProcessEnvFile(stateDir: string, variables: Readonly<Record<string, string>>): string {
  const file = join(stateDir, 'upstream.env');
  const text = Object.entries(variables)
    .map(([name, value]) => `${name}=${value}\n`)
    .join('');
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}
