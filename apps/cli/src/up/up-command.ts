import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  componentEnv,
  FIRST_ADMIN,
  formatProblem,
  gatewayOrigin,
  loadConfig,
  platformIssuer,
  readLogLevel,
  type LoadResult,
  type RampartConfig,
} from '@rampart/config';
import { isRampartError } from '@rampart/errors';
import { paint } from '../terminal.ts';
import type { ComponentEvent } from './component.ts';
import { watchConfig } from './config-watcher.ts';
import { describeRefusedEdit } from './config-rollout.ts';
import { installationRoot } from './installation.ts';
import { componentHosts } from './component-hosts.ts';
import { namePorts } from './port-names.ts';
import { preflightPorts } from './port-preflight.ts';
import { AttentionPrinter } from './attention-events.ts';
import { assertReadableBy, ComponentUsers } from './privileges.ts';
import { acquireLock, prepareStateDir, stateDirFor } from './state-dir.ts';
import { readExternalCas } from './external-cas.ts';
import { readSuppliedTls } from './supplied-tls.ts';
import { Supervisor } from './supervisor.ts';

export interface Io {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly color: boolean;
}

const usage = `Usage: rampart up [file] [--default <file>] [--ready-timeout <seconds>] [--rehearse-cluster]

Starts every component described by file as a supervised process on 127.0.0.1, waits until each
is ready, restarts any that crashes, and applies edits to the file without restarting the
platform. Ctrl-C stops everything.

  file                the rampart.yaml to run; without it, --default's file, else ./rampart.yaml
  --default <file>    the file to run when none is given (npm start passes the example shop's)
  --ready-timeout <s> how long each component may take to become ready (default 15)
  --rehearse-cluster  a rehearsal of a cluster's wiring, for tests (Linux): each component listens on
                      a loopback address of its own (mesh 127.0.0.2, identity .3, audit .4, the
                      gateway's admin port .5, services 127.0.0.10… by name) and reaches the others
                      there, through ${componentEnv.listenHost.name} and ${componentEnv.peerHosts.name} as on Kubernetes
`;

/** `rampart up`: resolves when the platform has stopped; the exit code says how. */
export async function upCommand(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'ready-timeout': { type: 'string', default: '15' },
        default: { type: 'string', default: 'rampart.yaml' },
        help: { type: 'boolean', short: 'h' },
        'rehearse-cluster': { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    io.stderr.write(`rampart up: ${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (parsed.values.help === true) {
    io.stdout.write(usage);
    return 0;
  }
  const readyTimeoutS = Number(parsed.values['ready-timeout']);
  if (!Number.isFinite(readyTimeoutS) || readyTimeoutS <= 0 || parsed.positionals.length > 1) {
    io.stderr.write(`rampart up: expected at most one file and a positive --ready-timeout\n\n${usage}`);
    return 2;
  }
  const c = paint(io.color);
  const file = resolve(parsed.positionals[0] ?? parsed.values.default);

  const loaded = await loadConfig(file);
  printProblems(loaded, io);
  if (!loaded.ok) {
    io.stderr.write(
      c('red', `✗ ${file} is not valid; nothing was started. Fix it and run rampart up again.\n`),
    );
    return 1;
  }

  const rehearseCluster = parsed.values['rehearse-cluster'];
  let hosts;
  try {
    hosts = componentHosts(loaded.config, rehearseCluster);
  } catch (error) {
    io.stderr.write(`rampart up: ${(error as Error).message}\n`);
    return 2;
  }
  const startedAt = Date.now();
  const stop = { requested: false };
  const stopRequested = onStopSignal(io).then(() => {
    stop.requested = true;
  });
  const state = stateDirFor(loaded.file);
  let release: (() => void) | null = null;
  let supervisor: Supervisor | null = null;
  // Security events worth a human's attention, rate-limited so that an attack cannot flood the terminal.
  const attention = new AttentionPrinter((line) => io.stdout.write(c('yellow', line)));
  try {
    const installation = installationRoot();
    const users = ComponentUsers.forCurrentProcess();
    supervisor = new Supervisor(loaded.config, {
      configFile: loaded.file,
      installation,
      state,
      users,
      readyTimeoutMs: readyTimeoutS * 1000,
      logLevel: readLogLevel(process.env),
      rehearseCluster,
      onEvent: (event) => {
        if (event.type === 'attention') attention.print(event.event);
        else io.stdout.write(describe(withPortsNamed(event, supervisor?.config ?? loaded.config), c));
      },
    });
    prepareStateDir(state);
    release = acquireLock(state);
    if (users === null) {
      io.stdout.write(c('yellow', sharedUserNotice()));
    } else {
      io.stdout.write(
        c(
          'gray',
          'running as root: each component runs as its own system user (rampart-mesh, rampart-identity, rampart-audit, ' +
            'rampart-gateway, rampart-svc-<name>), created if missing; each owns only its own keys and data\n',
        ),
      );
      // Every component user is a system user with no group of the installation's: what one can
      // read, all can. Checked once, as the first to start.
      assertReadableBy(users.userOf({ name: 'mesh', kind: 'mesh' }), [
        installation,
        loaded.file,
        state.internalTokenPublicKey,
      ]);
    }
    await preflightPorts(loaded.config, new Set(), hosts);
    // A certificate of the operator's that cannot be served is refused before anything starts.
    const suppliedTls = loaded.config.gateway?.tls;
    if (suppliedTls !== undefined) readSuppliedTls(suppliedTls, dirname(loaded.file));
    // So is a pinned CA of an external upstream that could not verify it.
    readExternalCas(loaded.config, dirname(loaded.file));
    io.stdout.write(`${c('bold', 'rampart')} starting ${loaded.config.name} from ${file}\n`);
    const running = supervisor;
    const stoppedEarly = stopRequested.then(() => running.stop()).then(() => 'stopped' as const);
    if ((await Promise.race([supervisor.start(), stoppedEarly])) === 'stopped') {
      release();
      return 130;
    }
  } catch (error) {
    if (!stop.requested) {
      const message = isRampartError(error) ? error.message : (error as Error).message;
      io.stderr.write(c('red', `✗ ${namePorts(message, loaded.config)}\n`));
    }
    await supervisor?.stop();
    release?.();
    return stop.requested ? 130 : 1;
  }

  io.stdout.write(
    `\n${c('green', '✓')} ${loaded.config.name} is up in ${((Date.now() - startedAt) / 1000).toFixed(1)} s\n` +
      supervisor.components
        .map(
          (component) =>
            `  ${component.spec.name.padEnd(12)} ${component.spec.url.padEnd(24)} ${c('gray', `admin ${new URL(component.spec.readyUrl).origin}, pid ${component.pid ?? '?'}`)}`,
        )
        .join('\n') +
      `\n  logs         ${state.logs}/\n` +
      identitySummary(loaded.config, state.root) +
      `\nWatching ${file} for changes. Press Ctrl-C to stop.\n`,
  );

  const running = supervisor;
  let reloading = Promise.resolve();
  const watcher = watchConfig(loaded.file, () => {
    reloading = reloading.then(() => reload(running, loaded.file, io));
  });

  await stopRequested;
  watcher.close();
  await reloading;
  await running.stop();
  attention.close();
  release();
  io.stdout.write(`${c('green', '✓')} stopped\n`);
  return 0;
}

/**
 * Not root: no other user to switch to, so every component shares the invoking user. Said at every
 * start, with what it means.
 */
function sharedUserNotice(): string {
  const user = userInfo().username;
  return (
    `! not running as root: every component runs as you ('${user}'). Only Node's permission model keeps ` +
    `one component out of another's keys and data; a component that escaped it (or any other process of ` +
    `'${user}') could read the mesh CA key, the signing keys, every keyring and store. ` +
    `Start rampart up as root to give each component its own system user.\n`
  );
}

/** Resolves on the first Ctrl-C or SIGTERM; the caller then stops every component. */
function onStopSignal(io: Io): Promise<void> {
  return new Promise<void>((done) => {
    const stop = (signal: NodeJS.Signals): void => {
      io.stdout.write(`\n${signal} received: stopping every component…\n`);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

async function reload(supervisor: Supervisor, file: string, io: Io): Promise<void> {
  const c = paint(io.color);
  const loaded = await loadConfig(file);
  printProblems(loaded, io);
  if (!loaded.ok) {
    io.stderr.write(
      c(
        'red',
        `✗ edit to ${file} refused: the running config (revision ${supervisor.revision}) stays in force.\n`,
      ),
    );
    return;
  }
  try {
    const outcome = await supervisor.apply(loaded.config);
    if (!outcome.applied) {
      io.stderr.write(c('red', describeRefusedEdit(file, outcome)));
      return;
    }
    const { revision, restarted } = outcome;
    const note = restarted.length > 0 ? ` (restarted ${restarted.join(', ')})` : '';
    io.stdout.write(`${c('green', '✓')} applied ${file} as revision ${revision}${note}\n`);
  } catch (error) {
    io.stderr.write(c('red', `✗ applying the edit failed: ${(error as Error).message}\n`));
  }
}

function printProblems(loaded: LoadResult, io: Io): void {
  for (const problem of loaded.problems) io.stderr.write(`${formatProblem(problem, { color: io.color })}\n`);
}

function describe(
  event: Exclude<ComponentEvent, { type: 'attention' }>,
  c: ReturnType<typeof paint>,
): string {
  switch (event.type) {
    case 'ready':
      return `  ${c('green', '●')} ${event.name.padEnd(12)} ${event.restart ? 'restarted and ready' : 'ready'} ${c('gray', `(${event.ms} ms${event.pid === undefined ? '' : `, pid ${event.pid}`})`)}\n`;
    case 'exited':
      return (
        `  ${c('red', '●')} ${event.name.padEnd(12)} exited (${event.signal ?? `code ${event.code}`}); restarting in ${formatMs(event.restartInMs)}\n` +
        (event.lastError === undefined ? '' : `    ${' '.repeat(12)} ${c('gray', event.lastError)}\n`)
      );
    case 'error-logged':
      return `  ${c('yellow', '!')} ${event.name.padEnd(12)} ${event.message}\n`;
    case 'config-applied':
      return `  ${c('blue', '●')} ${event.name.padEnd(12)} applied revision ${event.revision}\n`;
  }
}

/** An exit's last error line, with the rampart.yaml settings of the ports it mentions. */
function withPortsNamed<E extends ComponentEvent>(event: E, config: RampartConfig): E {
  if (event.type !== 'exited' || event.lastError === undefined) return event;
  return { ...event, lastError: namePorts(event.lastError, config) };
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Where to sign in, and where the generated credentials are: paths only, never a secret. */
function identitySummary(config: RampartConfig, root: string): string {
  const lines = [
    `  issuer       ${platformIssuer(config)}`,
    `  console      ${gatewayOrigin(config)}/console/ (sign in as an admin, with a second factor)`,
  ];
  const adminPassword = join(root, 'admin-password');
  if (existsSync(adminPassword)) {
    lines.push(
      `  first admin  user ${FIRST_ADMIN}, one-time password in ${adminPassword} (changed at first sign-in)`,
    );
  }
  if (config.demo === true)
    lines.push(`  demo users   alice, bob: passwords and TOTP secrets in ${join(root, 'demo-users.json')}`);
  for (const client of config.identity?.clients ?? []) {
    if (client.type === 'confidential' && client.secret === undefined) {
      lines.push(`  client       ${client.id}: secret in ${join(root, 'clients', `${client.id}.secret`)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
