// The gateway, as `rampart up` runs it: joins the mesh as spiffe://<td>/rampart/gateway, then
// runs one worker thread per core (`gateway.workers`) on the public HTTPS port and serves the admin
// port itself. See ../README.md.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  formatProblem,
  loadConfig,
  readComponentEnv,
  readLogLevel,
  resolveSecret,
  trustDomainOf,
} from '@rampart/config';
import { componentSpiffeId, startWorkloadIdentity } from '@rampart/mesh';
import {
  configRefusalReason,
  createLogger,
  createMetrics,
  isConfigMessage,
  receiveLaunchSecrets,
  requiredJoinToken,
  stopOnSignals,
} from '@rampart/sdk';
import { gatewaySettings } from './settings.ts';
import {
  assertOnlyOwnListeners,
  assertPortFree,
  createAdminServer,
  startWorkerPool,
  watchPort,
  workerCount,
} from './workers/index.ts';

const logLevel = readLogLevel(process.env);
const log = createLogger('gateway', { level: logLevel });

async function main(): Promise<void> {
  // The join token (and any secret variable) arrives over IPC, never in the environment.
  const secrets = await receiveLaunchSecrets();
  const env = readComponentEnv('gateway', process.env, secrets.env);
  const loaded = await loadConfig(env.configFile);
  if (!loaded.ok) {
    log.fatal(
      { problems: loaded.problems.map((problem) => formatProblem(problem)) },
      'configuration invalid',
    );
    process.exitCode = 1;
    return;
  }
  const { config } = loaded;
  const settings = gatewaySettings(config);
  // Nothing else may hold the public port: with SO_REUSEPORT it would take part of the clients.
  assertPortFree(settings.port);
  const trustDomain = trustDomainOf(config);
  const identity = await startWorkloadIdentity({
    authorityUrl: env.meshUrl,
    authoritySpiffeId: componentSpiffeId(trustDomain, 'mesh'),
    bundlePem: readFileSync(env.meshBundleFile, 'utf8'),
    joinToken: requiredJoinToken(secrets),
    spiffeId: componentSpiffeId(trustDomain, 'gateway'),
  });
  const readTls = () => ({
    cert: readFileSync(env.tlsCertFile, 'utf8'),
    key: readFileSync(env.tlsKeyFile, 'utf8'),
  });
  const redisRef = config.storage?.redis?.url;
  const redisUrl =
    redisRef === undefined
      ? undefined
      : redisRef.includes('${')
        ? (await resolveSecret(redisRef, dirname(loaded.file))).reveal()
        : redisRef;
  const count = workerCount(config.gateway?.workers);
  const asked = config.gateway?.workers;
  if (typeof asked === 'number' && asked > count)
    log.warn(
      { asked, platform: process.platform },
      'gateway.workers: this platform cannot share a port, one worker runs',
    );
  const pool = startWorkerPool(
    {
      count,
      config,
      ...(redisUrl === undefined ? {} : { redisUrl }),
      tls: readTls(),
      issuerCa: readFileSync(env.edgeCaFile, 'utf8'),
      signingKeyPem: readFileSync(env.internalTokenSigningKeyFile, 'utf8'),
      pseudonymKey: readFileSync(env.pseudonymKeyFile),
      credentials: identity.current(),
      followRevocations: true,
      logLevel,
      log,
    },
    (error) => {
      // A crash loop (a configuration the workers refuse, a bug): let the supervisor restart us.
      log.fatal({ err: error }, 'gateway workers keep failing');
      process.exit(1);
    },
  );
  identity.onRotated(() => {
    pool.setCredentials(identity.current());
  });
  const admin = createAdminServer(pool, createMetrics('gateway').registry);
  await pool.started;
  try {
    assertOnlyOwnListeners(settings.port);
  } catch (error) {
    await pool.stop();
    throw error;
  }
  const unwatchPort = watchPort(settings.port, log);
  await new Promise<void>((resolve, reject) => {
    admin.once('error', reject);
    admin.listen(settings.adminPort, '127.0.0.1', resolve);
  });
  log.info(
    {
      url: `https://127.0.0.1:${settings.port}`,
      adminUrl: `http://127.0.0.1:${settings.adminPort}`,
      workers: count,
    },
    'gateway listening',
  );

  const send = process.send?.bind(process);
  if (send !== undefined) {
    process.on('message', (message: unknown) => {
      if (isConfigMessage(message)) {
        pool.applyConfig(message.revision, message.config).then(
          () => send({ type: 'config.applied', revision: message.revision }),
          (error: unknown) => {
            log.error({ err: error }, 'configuration not applied');
            send({ type: 'config.rejected', revision: message.revision, reason: configRefusalReason(error) });
          },
        );
      } else if (
        typeof message === 'object' &&
        message !== null &&
        (message as { type?: unknown }).type === 'tls.renewed'
      ) {
        pool.setTls(readTls());
        log.info('public TLS certificate renewed');
      }
    });
  }
  stopOnSignals(log, async () => {
    unwatchPort();
    identity.stop();
    admin.close();
    await pool.stop();
  });
}

main().catch((error: unknown) => {
  // The reason is in the message: the supervisor's terminal shows that line (e.g. GW_PORT_IN_USE).
  log.fatal(
    { err: error },
    `gateway failed to start: ${error instanceof Error ? error.message : 'unknown error'}`,
  );
  process.exitCode = 1;
});
