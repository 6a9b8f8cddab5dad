import { RampartError } from '@rampart/errors';
import { listenersOn, ownSocketInodes, type Logger, type PortListener } from '@rampart/sdk';

/** The rampart.yaml key every message names. */
const KEY = 'ports.gateway';
/** How often the main thread looks for a foreign socket that joined the port after start. */
const WATCH_INTERVAL_MS = 10_000;

/**
 * Before the workers bind: nothing may listen on the gateway's port. With `SO_REUSEPORT` a socket
 * of the same user already there would silently take part of the connections (issue 10 item 3);
 * anything else would make the workers fail with a bare EADDRINUSE. Throws `GW_PORT_IN_USE`
 * naming the key, the port and the holder. Where there is no /proc (not Linux) one worker binds
 * without `SO_REUSEPORT`, and the bind itself refuses a taken port.
 */
export function assertPortFree(port: number): void {
  const holders = listenersOn(port);
  if (holders !== null && holders.length > 0) throw portHeld(port, holders, 'is already in use');
}

/**
 * Once the workers listen: every socket on the port is one of this process's (its worker threads'),
 * none of another process that slipped in between the check and the bind.
 */
export function assertOnlyOwnListeners(port: number): void {
  const foreign = foreignListeners(port);
  if (foreign.length > 0)
    throw portHeld(port, foreign, 'was joined by another socket while the workers bound it');
}

/**
 * While running: a foreign socket that joins the port later (only a process of the gateway's own
 * user can) is logged as an error every time a new one appears. The gateway keeps serving: exiting
 * would hand every connection to the intruder.
 */
export function watchPort(port: number, log: Logger): () => void {
  const reported = new Set<string>();
  const timer = setInterval(() => {
    for (const listener of foreignListeners(port)) {
      if (reported.has(listener.inode)) continue;
      reported.add(listener.inode);
      log.error(
        { port, key: KEY, uid: listener.uid, inode: listener.inode },
        `${KEY}: a foreign socket (${describe(listener)}) joined port ${port} and receives part of its connections; stop it`,
      );
    }
  }, WATCH_INTERVAL_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
  };
}

function foreignListeners(port: number): PortListener[] {
  const listeners = listenersOn(port);
  if (listeners === null) return [];
  const own = ownSocketInodes();
  return listeners.filter((listener) => !own.has(listener.inode));
}

function portHeld(port: number, holders: readonly PortListener[], what: string): RampartError {
  return new RampartError('GW_PORT_IN_USE', {
    detail:
      `${KEY}: port ${port} ${what} (${holders.map(describe).join('; ')}); ` +
      `stop that process or move ${KEY} in rampart.yaml`,
  });
}

function describe(listener: PortListener): string {
  return `a socket of uid ${listener.uid} on ${listener.address}, inode ${listener.inode}`;
}
