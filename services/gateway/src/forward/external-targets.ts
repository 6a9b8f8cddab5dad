import { readFileSync } from 'node:fs';
import {
  componentEnv,
  externalCaFile,
  externalServices,
  parseExternalUrl,
  type RampartConfig,
} from '@rampart/config';
import { pinnedCaProblem } from '@rampart/mesh';
import type { ExternalTarget } from './external-upstreams.ts';

/**
 * The targets of every `external` upstream of `config`: its origin and base path, its `serverName`,
 * and its pinned CA read from `<caDir>/<name>.pem` (where `rampart up` copies the file `ca` names,
 * and Kubernetes mounts it) — checked, so a damaged file fails here, at build or reload, and the
 * targets in force stay.
 *
 * @throws TypeError naming the upstream and what is wrong: no `caDir` while `external` is set, a
 *   url the config check refuses, a CA file missing, unreadable or not pinnable.
 * @example
 * const targets = externalTargets(config, '/var/lib/rampart/gateway/external-ca');
 * targets.get('partner'); // { origin: 'https://partner.example:8443', basePath: '/api', ca: '-----BEGIN…' }
 */
export function externalTargets(
  config: RampartConfig,
  caDir: string | undefined,
): ReadonlyMap<string, ExternalTarget> {
  const targets = new Map<string, ExternalTarget>();
  for (const [name, external] of externalServices(config)) {
    if (caDir === undefined) {
      throw new TypeError(
        `external upstream '${name}': the gateway was given no directory of pinned CAs (${componentEnv.externalCaDir.name})`,
      );
    }
    const url = parseExternalUrl(external.url);
    if (!url.ok) throw new TypeError(`external upstream '${name}': its url ${url.reason}`);
    const file = externalCaFile(caDir, name);
    let ca: string;
    try {
      ca = readFileSync(file, 'utf8');
    } catch (error) {
      throw new TypeError(
        `external upstream '${name}': its pinned CA ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
        { cause: error },
      );
    }
    const problem = pinnedCaProblem(ca);
    if (problem !== undefined)
      throw new TypeError(`external upstream '${name}': its pinned CA ${file}: ${problem}`);
    targets.set(
      name,
      Object.freeze({
        origin: url.origin,
        basePath: url.basePath,
        ca,
        ...(external.serverName === undefined ? {} : { serverName: external.serverName }),
      }),
    );
  }
  return targets;
}
