import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename } from 'node:path';
import {
  parseUpstream,
  platformPorts,
  serviceAdminPort,
  sidecarEgressPort,
  type RampartConfig,
} from '@rampart/config';
import { RampartError } from '@rampart/errors';
import { listenersOn, socketInodesOf, type PortListener } from '@rampart/sdk';

/** One port of rampart.yaml, with the key that sets it. */
export interface ConfiguredPort {
  readonly key: string;
  readonly port: number;
}

/** Every port the components of `config` listen on, each with its rampart.yaml key. */
export function configuredPorts(config: RampartConfig): ConfiguredPort[] {
  const ports = platformPorts(config);
  return [
    ...Object.entries(ports).map(([key, port]) => ({ key: `ports.${key}`, port })),
    ...Object.entries(config.services).flatMap(([name, service]) => [
      { key: `services.${name}.port`, port: service.port },
      {
        key: `services.${name}.adminPort${service.adminPort === undefined ? ' (port + 1000)' : ''}`,
        port: serviceAdminPort(service),
      },
      ...sidecarPorts(name, service),
    ]),
  ];
}

/**
 * A sidecar's egress port, and the upstream's when `up` starts the process (`run`): an external
 * process is expected to hold its own port already.
 */
function sidecarPorts(name: string, service: RampartConfig['services'][string]): ConfiguredPort[] {
  const egress = sidecarEgressPort(service);
  if (egress === undefined) return [];
  const upstream = service.upstream === undefined ? undefined : parseUpstream(service.upstream);
  return [
    {
      key: `services.${name}.egressPort${service.egressPort === undefined ? ' (port + 2000)' : ''}`,
      port: egress,
    },
    ...(upstream?.ok === true && service.run !== undefined
      ? [{ key: `services.${name}.upstream`, port: upstream.port }]
      : []),
  ];
}

/**
 * Before anything starts: every configured port must be free on 127.0.0.1 — a port that is taken
 * would fail one component halfway through the start, and a gateway port held with SO_REUSEPORT
 * would split the clients between two platforms. Refuses with `SUP_PORT_IN_USE` naming, for each
 * taken port, its rampart.yaml key, the port and what holds it (pid, command and user, from /proc).
 * On a live edit, `inUseByUs` are the ports the running components hold: only new ones are checked.
 */
export async function preflightPorts(
  config: RampartConfig,
  inUseByUs: ReadonlySet<number> = new Set(),
): Promise<void> {
  const taken: string[] = [];
  for (const { key, port } of configuredPorts(config)) {
    if (inUseByUs.has(port)) continue;
    const reason = await bindProbe(port);
    const holders = listenersOn(port) ?? [];
    if (reason === null && holders.length === 0) continue;
    const held = holders.length > 0 ? holders.map(describeHolder).join('; ') : (reason ?? 'unknown');
    taken.push(`${key}: port ${port} is in use by ${held}`);
  }
  if (taken.length > 0) {
    throw new RampartError('SUP_PORT_IN_USE', {
      detail: `${taken.join('; ')}. Stop what holds it, or move the port in rampart.yaml; nothing was started`,
    });
  }
}

/** Binds 127.0.0.1:port without SO_REUSEPORT and lets go: `null` if free, else why not. */
function bindProbe(port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      resolve(
        error.code === 'EADDRINUSE'
          ? 'another process'
          : `a bind that fails with ${error.code ?? 'an error'}`,
      );
    });
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      server.close(() => {
        resolve(null);
      });
    });
  });
}

/** "pid 1234 (node, user alice)" where /proc tells (root sees every process), else the user. */
function describeHolder(listener: PortListener): string {
  const user = userName(listener.uid);
  const pid = pidHolding(listener.inode);
  if (pid === null) return `a process of ${user}`;
  return `pid ${pid} (${commandOf(pid)}, ${user})`;
}

function pidHolding(inode: string): string | null {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return null;
  }
  return pids.find((pid) => socketInodesOf(pid)?.has(inode) === true) ?? null;
}

/** The program it runs (the basename of /proc/<pid>/exe, else its `comm`), never its arguments: they may carry secrets. */
function commandOf(pid: string): string {
  try {
    return basename(readlinkSync(`/proc/${pid}/exe`));
  } catch {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() || 'unknown program';
    } catch {
      return 'unknown program';
    }
  }
}

function userName(uid: number): string {
  try {
    const entry = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .map((line) => line.split(':'))
      .find((fields) => Number(fields[2]) === uid);
    return entry?.[0] === undefined ? `uid ${uid}` : `user ${entry[0]}`;
  } catch {
    return `uid ${uid}`;
  }
}
