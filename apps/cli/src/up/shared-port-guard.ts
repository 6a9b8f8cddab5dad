import { listenersOn, socketInodesOf, type PortListener } from '@rampart/sdk';

/** A port several replicas of one component share (SO_REUSEPORT), and the processes that hold it now. */
export interface SharedPort {
  /** The rampart.yaml key that sets it, for the message: `ports.gateway`, `ports.identity`. */
  readonly key: string;
  readonly port: number;
  /** The component's replicas that run now. */
  readonly owners: readonly number[];
}

/** How often `rampart up` looks for a socket that joined a shared port without being a replica. */
export const SHARED_PORT_WATCH_MS = 10_000;

/**
 * The sockets listening on `port` (bound to 127.0.0.1 or a wildcard) that none of `owners` holds:
 * with SO_REUSEPORT any process of the replicas' user could join the port and take part of the
 * connections. `[]` where there is no /proc to read.
 *
 * @example
 * foreignListeners(8443, [gateway1.pid, gateway2.pid]); // [] while only the replicas listen
 */
export function foreignListeners(port: number, owners: readonly number[]): PortListener[] {
  const listeners = listenersOn(port);
  if (listeners === null || listeners.length === 0) return [];
  const owned = new Set<string>();
  for (const pid of owners) for (const inode of socketInodesOf(String(pid)) ?? []) owned.add(inode);
  return listeners.filter((listener) => !owned.has(listener.inode));
}

/**
 * Where replicas share a port, the replicas cannot tell a sibling's socket from an intruder's:
 * `rampart up`, which knows their pids, looks every {@link SHARED_PORT_WATCH_MS} and reports each
 * foreign socket once (a gateway alone on its port does this itself: `GW_PORT_IN_USE`). A socket
 * must be foreign on two looks in a row, so that a replica restarting between the listing of the
 * port and of its descriptors is never taken for one.
 */
export function watchSharedPorts(
  ports: () => readonly SharedPort[],
  report: (message: string) => void,
): () => void {
  const reported = new Set<string>();
  let suspects = new Set<string>();
  const timer = setInterval(() => {
    const seen = new Set<string>();
    for (const { key, port, owners } of ports()) {
      for (const listener of foreignListeners(port, owners)) {
        const id = `${port}:${listener.inode}`;
        seen.add(id);
        if (!suspects.has(id) || reported.has(id)) continue;
        reported.add(id);
        report(
          `${key}: a socket that is not one of the replicas' (uid ${listener.uid} on ${listener.address}, inode ${listener.inode}) ` +
            `joined port ${port} and receives part of its connections; stop it`,
        );
      }
    }
    suspects = seen;
  }, SHARED_PORT_WATCH_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
  };
}
