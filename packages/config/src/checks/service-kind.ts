import type { Finding } from '../problem.ts';
import type { RampartConfig } from '../schema.ts';
import { parseUpstream } from '../upstream.ts';

/**
 * CFG_SERVICE_KIND: a service is either built on the SDK (`entry`) or an unmodified process behind
 * the sidecar (`upstream`, with `run`, `egressPort` and `image` optional) — exactly one of the two.
 * CFG_UPSTREAM_NOT_LOOPBACK: `upstream` is plain http to a literal loopback address with a port
 * (`parseUpstream` says why nothing else is accepted).
 */
export function checkServiceKind(config: RampartConfig): Finding[] {
  const findings: Finding[] = [];
  for (const [name, service] of Object.entries(config.services)) {
    const at = ['services', name];
    if (service.entry !== undefined && service.upstream !== undefined) {
      findings.push({
        code: 'CFG_SERVICE_KIND',
        path: [...at, 'upstream'],
        anchor: 'key',
        message: `service \`${name}\` has both \`entry\` (a service built on @rampart/sdk) and \`upstream\` (a process behind the sidecar)`,
        fix: 'keep `entry` for a Node service written with @rampart/sdk, or `upstream` (and `run`) for any other process',
      });
      continue;
    }
    if (service.entry === undefined && service.upstream === undefined) {
      findings.push({
        code: 'CFG_SERVICE_KIND',
        path: at,
        anchor: 'key',
        message: `service \`${name}\` has neither \`entry\` nor \`upstream\``,
        fix: 'add `entry: services/<name>/main.ts` (a service on @rampart/sdk) or `upstream: http://127.0.0.1:<port>` with `run: <command>` (any other process, behind the sidecar)',
      });
      continue;
    }
    if (service.upstream === undefined) {
      for (const key of ['run', 'egressPort', 'image'] as const) {
        if (service[key] === undefined) continue;
        findings.push({
          code: 'CFG_SERVICE_KIND',
          path: [...at, key],
          anchor: 'key',
          message: `service \`${name}\` has \`${key}\`, which only a service with \`upstream\` (behind the sidecar) uses`,
          fix: `remove \`${key}\`, or replace \`entry\` with \`upstream\``,
        });
      }
      continue;
    }
    const parsed = parseUpstream(service.upstream);
    if (!parsed.ok) {
      findings.push({
        code: 'CFG_UPSTREAM_NOT_LOOPBACK',
        path: [...at, 'upstream'],
        anchor: 'value',
        message:
          `the upstream of service \`${name}\` ${parsed.reason}: the sidecar forwards the verified caller and the internal token ` +
          'to it in plain HTTP, which only loopback keeps from other hosts',
        fix: 'run the process on this host and write `upstream: http://127.0.0.1:<port>` (or http://[::1]:<port>)',
      });
    }
  }
  return findings;
}
