import { connect } from 'node:net';

export type BackingService = 'postgres' | 'redis' | 'nats';

interface Endpoint {
  readonly envVar: string;
  readonly defaultPort: number;
}

const ENDPOINTS: Readonly<Record<BackingService, Endpoint>> = {
  postgres: { envVar: 'DATABASE_URL', defaultPort: 5432 },
  redis: { envVar: 'REDIS_URL', defaultPort: 6379 },
  nats: { envVar: 'NATS_URL', defaultPort: 4222 },
};

export interface RequireServiceOptions {
  /** Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Connect timeout; default 1000 ms. */
  readonly timeoutMs?: number;
}

/**
 * Probes a backing service with a TCP connect to its URL (`DATABASE_URL`, `REDIS_URL`,
 * `NATS_URL`) or its default port on 127.0.0.1. Resolves to `{ skip: false }` when it answers,
 * else to `{ skip: reason }` — spread it into a test's options. With `RAMPART_REQUIRE_SERVICES=1`
 * a missing service rejects instead, so CI cannot skip silently.
 *
 * @example
 * test('stores in postgres', await requireService('postgres'), async () => { ... });
 */
export async function requireService(
  name: BackingService,
  options: RequireServiceOptions = {},
): Promise<{ skip: false } | { skip: string }> {
  const env = options.env ?? process.env;
  const endpoint = ENDPOINTS[name];
  const { host, port } = hostAndPort(endpoint.envVar, env[endpoint.envVar], endpoint.defaultPort);
  const reachable = await canConnect(host, port, options.timeoutMs ?? 1000);
  if (reachable) return { skip: false };
  const reason = `${name} is not reachable at ${host}:${port} (set ${endpoint.envVar} or start it)`;
  if (env['RAMPART_REQUIRE_SERVICES'] === '1')
    throw new Error(`${reason}; RAMPART_REQUIRE_SERVICES=1 forbids skipping`);
  return { skip: reason };
}

function hostAndPort(
  envVar: string,
  url: string | undefined,
  defaultPort: number,
): { host: string; port: number } {
  if (url === undefined || url.length === 0) return { host: '127.0.0.1', port: defaultPort };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new TypeError(`${envVar} is not a URL`, { cause });
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  return { host, port: parsed.port === '' ? defaultPort : Number(parsed.port) };
}

function canConnect(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => {
      done(false);
    });
    socket.once('connect', () => {
      done(true);
    });
    socket.once('error', () => {
      done(false);
    });
  });
}
