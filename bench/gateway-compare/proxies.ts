// nginx and HAProxy (the Debian packages) as foreground children of the benchmark, each on a free
// port with its config, logs and pid file in a directory of its own, started fresh for every run:
// their internal token and mesh certificate live at most 5 minutes, so a run never outlives them.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePorts } from '@rampart/testing';
import { processTree } from './procfs.ts';

export const NGINX = '/usr/sbin/nginx';
export const HAPROXY = '/usr/sbin/haproxy';

export type ProxyKind = 'nginx' | 'haproxy';

export interface ProxyProcess {
  readonly kind: ProxyKind;
  readonly port: number;
  /** The master (nginx) or only (HAProxy) process and everything below it. */
  pids(): number[];
  stop(): Promise<void>;
}

/** Every proxy started and not yet stopped, so an interrupted run can end them all. */
const running = new Set<ProxyProcess>();

export async function stopAllProxies(): Promise<void> {
  for (const proxy of running) await proxy.stop();
}

export interface ProxyOptions {
  /** A directory for this proxy's config, logs and temp files; removed when it stops. */
  readonly dir: string;
  readonly upstreamPort: number;
  /** nginx `worker_processes`, HAProxy `nbthread`: one per core. */
  readonly cores: number;
  readonly edge: { readonly cert: string; readonly key: string; readonly certAndKey: string };
  readonly mesh: {
    readonly cert: string;
    readonly key: string;
    readonly certAndKey: string;
    readonly bundle: string;
  };
  readonly internalToken: string;
}

export interface HaproxyOptions extends ProxyOptions {
  readonly issuer: string;
  readonly audience: string;
  /** The issuer's ES256 public key, SPKI PEM. */
  readonly issuerKey: string;
}

/** Fills `{{name}}` placeholders; a placeholder without a value is a bug in the caller. */
function render(template: string, values: Readonly<Record<string, string | number>>): string {
  return readFileSync(join(import.meta.dirname, template), 'utf8').replace(
    /\{\{(\w+)\}\}/g,
    (_, name: string) => {
      const value = values[name];
      if (value === undefined) throw new TypeError(`${template}: no value for {{${name}}}`);
      return String(value);
    },
  );
}

export async function startNginx(options: ProxyOptions): Promise<ProxyProcess> {
  const [port = 0] = await freePorts(1);
  mkdirSync(options.dir, { recursive: true });
  const config = join(options.dir, 'nginx.conf');
  writeFileSync(
    config,
    render('nginx.conf', {
      dir: options.dir,
      port,
      workers: options.cores,
      upstreamPort: options.upstreamPort,
      edgeCert: options.edge.cert,
      edgeKey: options.edge.key,
      meshCert: options.mesh.cert,
      meshKey: options.mesh.key,
      bundle: options.mesh.bundle,
      internalToken: options.internalToken,
    }),
  );
  const log = join(options.dir, 'error.log');
  const child = spawnLogged(
    NGINX,
    ['-p', options.dir, '-c', config, '-e', log],
    join(options.dir, 'stdout.log'),
  );
  return ready('nginx', child, port, options.dir, log);
}

export async function startHaproxy(options: HaproxyOptions): Promise<ProxyProcess> {
  const [port = 0] = await freePorts(1);
  mkdirSync(options.dir, { recursive: true });
  const config = join(options.dir, 'haproxy.cfg');
  writeFileSync(
    config,
    render('haproxy.cfg', {
      port,
      threads: options.cores,
      upstreamPort: options.upstreamPort,
      edgeCertAndKey: options.edge.certAndKey,
      meshCertAndKey: options.mesh.certAndKey,
      bundle: options.mesh.bundle,
      internalToken: options.internalToken,
      issuer: options.issuer,
      audience: options.audience,
      issuerKey: options.issuerKey,
    }),
  );
  // -db: stay in the foreground; the access log goes to stdout, hence to access.log.
  const log = join(options.dir, 'access.log');
  const child = spawnLogged(HAPROXY, ['-db', '-f', config], log);
  return ready('haproxy', child, port, options.dir, log);
}

function spawnLogged(command: string, args: readonly string[], logFile: string): ChildProcess {
  const fd = openSync(logFile, 'a');
  try {
    return spawn(command, args, { stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
}

/** Resolves once the port accepts connections; throws with the proxy's own log if it exits first. */
async function ready(
  kind: ProxyKind,
  child: ChildProcess,
  port: number,
  dir: string,
  log: string,
): Promise<ProxyProcess> {
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  const failure = (why: string): Error =>
    new Error(`${kind} ${why}:\n${existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : '(no log)'}`);
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw failure(`exited (${child.exitCode ?? child.signalCode})`);
    if (await accepts(port)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw failure('did not listen within 10 s');
    }
    await sleep(50);
  }
  const pid = child.pid ?? 0;
  const proxy: ProxyProcess = {
    kind,
    port,
    pids: () => processTree(pid),
    async stop() {
      running.delete(proxy);
      if (child.exitCode === null && child.signalCode === null) {
        const tree = processTree(pid);
        child.kill('SIGTERM');
        const hung = await Promise.race([exited.then(() => false), sleep(5000).then(() => true)]);
        if (hung) {
          // nginx's workers do not die with their master: end each process of the tree.
          for (const member of tree) {
            try {
              process.kill(member, 'SIGKILL');
            } catch {
              // already gone
            }
          }
          await exited;
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  running.add(proxy);
  return proxy;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}
