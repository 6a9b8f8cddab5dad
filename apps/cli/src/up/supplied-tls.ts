import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RampartConfig } from '@rampart/config';
import { RampartError } from '@rampart/errors';
import { tlsPairProblem } from '@rampart/mesh';
import { writeOwnedFile } from './owned-files.ts';
import type { RunAs } from './privileges.ts';

/** `gateway.tls` of rampart.yaml: a certificate and key the operator supplies. */
export type SuppliedTlsConfig = NonNullable<NonNullable<RampartConfig['gateway']>['tls']>;

/** What the gateway is handed: its certificate, its key, and the root it trusts for the issuer. */
export interface SuppliedTls {
  readonly certPem: string;
  readonly keyPem: string;
  readonly caPem?: string;
}

/** Where the gateway reads them, in its own state directory. */
export interface GatewayTlsTargets {
  readonly certFile: string;
  readonly keyFile: string;
  readonly issuerCaFile: string;
}

/** How often a supplied pair is looked at for a change (certbot and cert-manager replace files). */
export const SUPPLIED_TLS_POLL_MS = 2_000;

/**
 * Reads and checks `gateway.tls` (paths relative to rampart.yaml's directory): the key file must be
 * its owner's alone, the certificate must parse, be valid now and match the key. Throws
 * `SUP_GATEWAY_TLS_INVALID` naming the file and what is wrong.
 *
 * @example
 * const pair = readSuppliedTls(config.gateway.tls, dirname(configFile));
 */
export function readSuppliedTls(tls: SuppliedTlsConfig, configDir: string, now = Date.now()): SuppliedTls {
  const certFile = resolve(configDir, tls.certFile);
  const keyFile = resolve(configDir, tls.keyFile);
  const keyMode = fileMode(keyFile, 'keyFile');
  if ((keyMode & 0o077) !== 0) {
    throw invalid(
      'keyFile',
      keyFile,
      `others may read it (mode ${(keyMode & 0o777).toString(8)}); run chmod 600 ${keyFile}`,
    );
  }
  const certPem = readText(certFile, 'certFile');
  const keyPem = readText(keyFile, 'keyFile');
  const problem = tlsPairProblem(certPem, keyPem, now);
  if (problem !== undefined) {
    throw new RampartError('SUP_GATEWAY_TLS_INVALID', {
      detail: `gateway.tls (certFile ${certFile}, keyFile ${keyFile}): ${problem}`,
    });
  }
  if (tls.caFile === undefined) return { certPem, keyPem };
  return { certPem, keyPem, caPem: readText(resolve(configDir, tls.caFile), 'caFile') };
}

/** Writes a checked pair (and the issuer's root) into the gateway's directory, as its user's files. */
export function installSuppliedTls(pair: SuppliedTls, targets: GatewayTlsTargets, owner: RunAs | null): void {
  writeOwnedFile(targets.certFile, pair.certPem, 0o644, owner);
  writeOwnedFile(targets.keyFile, pair.keyPem, 0o600, owner);
  if (pair.caPem !== undefined) writeOwnedFile(targets.issuerCaFile, pair.caPem, 0o644, owner);
}

/**
 * Follows the files of `gateway.tls` (as the configuration in force names them): when one changes,
 * the pair is read and checked again and `onPair` called with it, or `onRefused` with why — the pair
 * being served stays. A half-written file is refused, then taken at the next look once complete.
 */
export function watchSuppliedTls(options: {
  readonly current: () => SuppliedTlsConfig | undefined;
  readonly configDir: string;
  readonly onPair: (pair: SuppliedTls) => void;
  readonly onRefused: (error: Error) => void;
  readonly intervalMs?: number;
}): () => void {
  let seen = fingerprint(options.current(), options.configDir);
  const timer = setInterval(() => {
    const tls = options.current();
    const now = fingerprint(tls, options.configDir);
    if (tls === undefined || now === seen) return;
    seen = now;
    try {
      options.onPair(readSuppliedTls(tls, options.configDir));
    } catch (error) {
      options.onRefused(error as Error);
    }
  }, options.intervalMs ?? SUPPLIED_TLS_POLL_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
  };
}

/** Size, time and inode of each file: a replaced or rewritten file changes it. */
function fingerprint(tls: SuppliedTlsConfig | undefined, configDir: string): string {
  if (tls === undefined) return '';
  return [tls.certFile, tls.keyFile, tls.caFile]
    .map((file) => {
      if (file === undefined) return '-';
      try {
        const info = statSync(resolve(configDir, file));
        return `${info.ino}:${info.size}:${info.mtimeMs}`;
      } catch {
        return 'missing';
      }
    })
    .join('|');
}

function fileMode(file: string, key: string): number {
  try {
    return statSync(file).mode;
  } catch (error) {
    throw invalid(key, file, `it cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function readText(file: string, key: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw invalid(key, file, `it cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function invalid(key: string, file: string, what: string): RampartError {
  return new RampartError('SUP_GATEWAY_TLS_INVALID', { detail: `gateway.tls.${key} (${file}): ${what}` });
}
