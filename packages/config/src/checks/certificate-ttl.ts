import { parseDuration } from '../duration.ts';
import type { Finding } from '../problem.ts';
import type { RampartConfig } from '../schema.ts';

export const MIN_CERTIFICATE_TTL_MS = 5 * 60 * 1000;
export const MAX_CERTIFICATE_TTL_MS = 24 * 60 * 60 * 1000;

/** CFG_INVALID_VALUE: workload certificates live between 5 minutes and 24 hours. */
export function checkCertificateTtl(config: RampartConfig): Finding[] {
  const ttl = config.mesh?.certificateTtl;
  if (ttl === undefined) return [];
  const ms = parseDuration(ttl);
  if (ms >= MIN_CERTIFICATE_TTL_MS && ms <= MAX_CERTIFICATE_TTL_MS) return [];
  return [
    {
      code: 'CFG_INVALID_VALUE',
      path: ['mesh', 'certificateTtl'],
      anchor: 'value',
      message: `\`mesh.certificateTtl\` must be between 5m and 24h`,
      fix: 'use e.g. 1h (the default, as SPIRE); shorter limits a stolen key, longer survives a longer CA outage',
    },
  ];
}
