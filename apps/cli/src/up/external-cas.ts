import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { externalCaFile, externalServices, type RampartConfig } from '@rampart/config';
import { RampartError } from '@rampart/errors';
import { pinnedCaProblem } from '@rampart/mesh';
import { ensureOwnedDir, writeOwnedFile } from './owned-files.ts';
import type { RunAs } from './privileges.ts';

/** How often the `ca` files of the external upstreams are looked at for a change. */
export const EXTERNAL_CA_POLL_MS = 2_000;

/**
 * Reads and checks the pinned CA of every `external` upstream (`ca`, relative to rampart.yaml's
 * directory): readable, PEM certificates only, each a CA valid now. Throws
 * `SUP_EXTERNAL_CA_INVALID` naming the upstream, the file and what is wrong.
 *
 * @example
 * const cas = readExternalCas(config, dirname(configFile)); // Map { 'partner' => '-----BEGIN CERTIFICATE-----…' }
 */
export function readExternalCas(
  config: RampartConfig,
  configDir: string,
  now = Date.now(),
): ReadonlyMap<string, string> {
  const cas = new Map<string, string>();
  for (const [name, external] of externalServices(config)) {
    const file = resolve(configDir, external.ca);
    let pem: string;
    try {
      pem = readFileSync(file, 'utf8');
    } catch (error) {
      throw invalid(name, file, `it cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const problem = pinnedCaProblem(pem, now);
    if (problem !== undefined) throw invalid(name, file, problem);
    cas.set(name, pem);
  }
  return cas;
}

/**
 * Writes checked CAs into the gateway's directory of them (`RAMPART_EXTERNAL_CA_DIR`), as its
 * user's files, and removes the ones of upstreams no longer declared.
 */
export function installExternalCas(cas: ReadonlyMap<string, string>, dir: string, owner: RunAs | null): void {
  ensureOwnedDir(dir, 0o700, owner);
  for (const [name, pem] of cas) writeOwnedFile(externalCaFile(dir, name), pem, 0o644, owner);
  for (const file of readdirSync(dir)) {
    if (file.endsWith('.pem') && !cas.has(file.slice(0, -'.pem'.length)))
      rmSync(resolve(dir, file), { force: true });
  }
}

/**
 * Follows the `ca` files of the external upstreams (as the configuration in force names them):
 * when one changes, all are read and checked again and `onCas` called with them, or `onRefused`
 * with why — the CAs pinned so far stay. A half-written file is refused, then taken at the next
 * look once complete.
 */
export function watchExternalCas(options: {
  readonly current: () => RampartConfig;
  readonly configDir: string;
  readonly onCas: (cas: ReadonlyMap<string, string>) => void;
  readonly onRefused: (error: Error) => void;
  readonly intervalMs?: number;
}): () => void {
  let seen = fingerprint(options.current(), options.configDir);
  const timer = setInterval(() => {
    const config = options.current();
    const now = fingerprint(config, options.configDir);
    if (now === seen) return;
    seen = now;
    try {
      options.onCas(readExternalCas(config, options.configDir));
    } catch (error) {
      options.onRefused(error as Error);
    }
  }, options.intervalMs ?? EXTERNAL_CA_POLL_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
  };
}

/** Name, path, and size, time and inode of each `ca` file: a replaced or rewritten file changes it. */
function fingerprint(config: RampartConfig, configDir: string): string {
  return externalServices(config)
    .map(([name, external]) => {
      const file = resolve(configDir, external.ca);
      try {
        const info = statSync(file);
        return `${name}=${file}:${info.ino}:${info.size}:${info.mtimeMs}`;
      } catch {
        return `${name}=${file}:missing`;
      }
    })
    .join('|');
}

function invalid(name: string, file: string, what: string): RampartError {
  return new RampartError('SUP_EXTERNAL_CA_INVALID', { detail: `external.${name}.ca (${file}): ${what}` });
}
