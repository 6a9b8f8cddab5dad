import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** A listening TCP socket on one port, as Linux's /proc/net/tcp{,6} lists it. */
export interface PortListener {
  /** The socket's inode: `socket:[<inode>]` in the owning process's /proc/<pid>/fd. */
  readonly inode: string;
  readonly uid: number;
  /** The local address, e.g. `127.0.0.1`, `0.0.0.0`, `::`. */
  readonly address: string;
}

/** TCP state LISTEN in /proc/net/tcp. */
const LISTEN = '0A';
/** The wildcards: their listeners take connections to every address. */
const WILDCARDS = ['0.0.0.0', '::', '::ffff:0.0.0.0'];

/**
 * The sockets listening on `port` that compete for connections to `host` (127.0.0.1 unless said:
 * bound to it or to a wildcard; every listener when `host` is a wildcard itself), from
 * /proc/net/tcp and tcp6. `null` where there is no /proc to read (not Linux).
 *
 * @example
 * const foreign = listenersOn(8443)?.filter((l) => !ownSocketInodes().has(l.inode));
 * listenersOn(8444, '127.0.0.3'); // what would take identity's connections under --rehearse-cluster
 */
export function listenersOn(port: number, host = '127.0.0.1'): PortListener[] | null {
  const competing = new Set([host, `::ffff:${host}`, ...WILDCARDS]);
  const any = WILDCARDS.includes(host);
  const found: PortListener[] = [];
  let readAny = false;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    readAny = true;
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [local, state, uid, inode] = [fields[1], fields[3], fields[7], fields[9]];
      if (local === undefined || state !== LISTEN || uid === undefined || inode === undefined) continue;
      const [hexAddress, hexPort] = local.split(':');
      if (hexAddress === undefined || Number.parseInt(hexPort ?? '', 16) !== port) continue;
      const address = decodeAddress(hexAddress);
      if (any || competing.has(address)) found.push({ inode, uid: Number(uid), address });
    }
  }
  return readAny ? found : null;
}

/** The inodes of this process's own sockets (every thread's), from /proc/self/fd. */
export function ownSocketInodes(): Set<string> {
  return socketInodesOf('self') ?? new Set();
}

/** The socket inodes open in process `pid` (`self` for this one); `null` if its fds cannot be read. */
export function socketInodesOf(pid: string): Set<string> | null {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return null;
  }
  const inodes = new Set<string>();
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match?.[1] !== undefined) inodes.add(match[1]);
    } catch {
      // Closed meanwhile.
    }
  }
  return inodes;
}

/** /proc/net/tcp writes IPv4 addresses as one little-endian word, IPv6 as four. */
function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((word) =>
    (word.match(/../g) ?? []).reverse().map((b) => Number.parseInt(b, 16)),
  );
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  if (groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff') {
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  return groups.every((g) => g === '0') ? '::' : groups.join(':');
}
