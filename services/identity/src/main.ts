// Identity, as `rampart up` runs it: joins the mesh as spiffe://<td>/rampart/identity, serves the
// issuer's space over mTLS to the gateway only (which publishes it at /auth), and health and
// metrics on its admin port. See ../README.md.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Redis } from 'ioredis';
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
  createLogger,
  createMetrics,
  createConfigMessageHandler,
  createSecurityEvents,
  FieldCipher,
  LocalKeyring,
  logSink,
  stopOnSignals,
  receiveLaunchSecrets,
  requiredJoinToken,
} from '@rampart/sdk';
import { buildIdentity } from './app.ts';
import { applyBootstrap } from './bootstrap.ts';
import { identityHandlers } from './handlers.ts';
import { identityReadiness } from './http/readiness.ts';
import { startIdentityServers } from './http/servers.ts';
import { openIdentityStore } from './store/open-identity-store.ts';

const log = createLogger('identity', { level: readLogLevel(process.env) });

async function main(): Promise<void> {
  // The join token, the client-secret hashes, the bootstrap file and any secret variable (the SQL
  // password) arrive over IPC, never in the environment; the variables land in process.env for
  // `${env:…}` references, and the contract's secrets are read from them alone.
  const secrets = await receiveLaunchSecrets();
  const env = readComponentEnv('identity', process.env, secrets.env);
  const loaded = await loadConfig(env.configFile);
  if (!loaded.ok) {
    log.fatal(
      { problems: loaded.problems.map((problem) => formatProblem(problem)) },
      'configuration invalid',
    );
    process.exitCode = 1;
    return;
  }
  const config = loaded.config;
  const configDir = dirname(loaded.file);
  const stateDir = env.stateDir;
  const trustDomain = trustDomainOf(config);
  const workload = await startWorkloadIdentity({
    authorityUrl: env.meshUrl,
    authoritySpiffeId: componentSpiffeId(trustDomain, 'mesh'),
    bundlePem: readFileSync(env.meshBundleFile, 'utf8'),
    joinToken: requiredJoinToken(secrets),
    spiffeId: componentSpiffeId(trustDomain, 'identity'),
  });
  const store = await openIdentityStore(config, stateDir, configDir);
  const cipher = new FieldCipher(await LocalKeyring.open(env.keyringFile));
  const metrics = createMetrics('identity');
  const events = createSecurityEvents({
    serviceName: 'identity',
    sink: logSink(log),
    subjectKey: readFileSync(env.pseudonymKeyFile),
    metrics,
  });
  const redisRef = config.storage?.redis?.url;
  const redis =
    redisRef === undefined
      ? undefined
      : new Redis(redisRef.includes('${') ? (await resolveSecret(redisRef, configDir)).reveal() : redisRef, {
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
        });
  // The brute-force guard refuses logins while Redis is not ready (fail closed): wait for it.
  if (redis !== undefined && redis.status !== 'ready') {
    await new Promise<void>((resolve, reject) => {
      redis.once('ready', resolve);
      redis.once('error', reject);
    });
  }
  const identity = await buildIdentity({
    config,
    store,
    cipher,
    log,
    events,
    clientSecretHashes: env.clientSecretHashes,
    handlers: identityHandlers,
    ...(redis === undefined ? {} : { redis }),
  });
  const created = await applyBootstrap(identity, env.identityBootstrapFile);
  if (created.admin) log.info('identity: first admin created (one-time password in .rampart/admin-password)');
  if (created.demoUsers > 0) log.info({ users: created.demoUsers }, 'identity: demo users seeded');
  let revision = 0;
  let stopping = false;
  const servers = await startIdentityServers({
    identity,
    metrics,
    health: {
      revision: () => revision,
      notReady: identityReadiness({
        keys: identity.keys,
        store,
        stopping: () => stopping,
        ...(redis === undefined ? {} : { redis }),
      }),
    },
    trustDomain,
    credentials: () => workload.current(),
    port: identity.settings.port,
    adminPort: identity.settings.adminPort,
  });
  workload.onRotated(() => {
    servers.rotateCredentials();
  });
  log.info(
    { url: servers.url, adminUrl: servers.adminUrl, issuer: identity.settings.issuer },
    'identity listening',
  );
  // rampart up restarts identity when anything it reads changes (its restart key); any other edit
  // of rampart.yaml is acknowledged, so the supervisor knows every component is on the revision.
  process.on(
    'message',
    createConfigMessageHandler(
      {
        applyConfig(next) {
          if (next <= revision) throw new Error(`revision ${next} is not newer than ${revision}`);
          revision = next;
        },
      },
      (reply) => process.send?.(reply),
      log,
    ),
  );
  stopOnSignals(log, async () => {
    stopping = true;
    workload.stop();
    await servers.close();
    await identity.close();
    redis?.disconnect();
    await store.close();
  });
}

main().catch((error: unknown) => {
  log.fatal({ err: error }, 'identity failed to start');
  process.exitCode = 1;
});
