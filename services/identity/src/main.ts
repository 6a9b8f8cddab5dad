// Identity, as `rampart up` runs it: joins the mesh as spiffe://<td>/rampart/identity, serves the
// issuer's space over mTLS to the gateway only (which publishes it at /auth), and health and
// metrics on its admin port. The boot sequence (secrets, environment, config, mesh identity,
// reloads, stop) is @rampart/sdk's `bootComponent`. See ../README.md.
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { replicaAdminPort, replicaCount } from '@rampart/config';
import {
  bootComponent,
  createMetrics,
  createSecurityEvents,
  FieldCipher,
  LocalKeyring,
  pseudonym,
  startAuditShipping,
} from '@rampart/sdk';
import { SubjectPseudonyms } from './accounts/index.ts';
import { adminTokenCheck } from './admin/admin-token-check.ts';
import { subjectLookup } from './admin/subject-lookup.ts';
import { buildIdentity } from './app.ts';
import { applyBootstrap } from './bootstrap.ts';
import { identityHandlers } from './handlers.ts';
import { identityReadiness } from './http/readiness.ts';
import { startIdentityServers } from './http/servers.ts';
import { openIdentityStore } from './store/open-identity-store.ts';

// The join token, the client-secret hashes, the bootstrap file and any secret variable (the SQL
// password) arrive over IPC, never in the environment; the boot reads the contract's secrets from
// them alone, and leaves the variables in process.env for `${env:…}` references.
await bootComponent({
  kind: 'identity',
  // Its requests run in a trace scope (http/request-trace.ts): its lines carry the trace's ids.
  traceScopedLog: true,
  async start({ env, config, configDir, trustDomain, workload, log, reveal, revision, stopping }) {
    const store = await openIdentityStore(config, env.stateDir, configDir);
    const cipher = new FieldCipher(await LocalKeyring.open(env.keyringFile));
    const metrics = createMetrics('identity');
    const shipping = startAuditShipping({
      stateDir: env.stateDir,
      auditUrl: env.auditUrl,
      trustDomain,
      credentials: () => workload.current(),
      nats: config.storage?.nats,
      log,
      metrics,
    });
    const subjectKey = readFileSync(env.pseudonymKeyFile);
    const events = createSecurityEvents({
      serviceName: 'identity',
      sink: shipping.sink,
      subjectKey,
      metrics,
    });
    const redisRef = config.storage?.redis?.url;
    const redis =
      redisRef === undefined
        ? undefined
        : new Redis(await reveal(redisRef), { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
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
    if (created.admin)
      log.info(
        'identity: first admin created (its one-time password: .rampart/admin-password, or as `rampart export k8s-secrets` printed it)',
      );
    if (created.alreadyApplied) log.info('identity: bootstrap file applied at an earlier start: ignored');
    if (created.demoUsers > 0) log.info({ users: created.demoUsers }, 'identity: demo users seeded');
    // Identity serves its admin port with its issuer listener (its tests reach both there).
    const servers = await startIdentityServers({
      identity,
      metrics,
      health: {
        revision,
        notReady: identityReadiness({
          keys: identity.keys,
          store,
          stopping,
          ...(redis === undefined ? {} : { redis }),
        }),
      },
      trustDomain,
      credentials: () => workload.current(),
      port: identity.settings.port,
      // Replica k of `identity.replicas` serves its admin port at identityAdmin + 100·(k−1), and
      // shares the issuer's port with its siblings.
      adminPort: replicaAdminPort(identity.settings.adminPort, Number(env.replica ?? '1')),
      sharePort: replicaCount(config, 'identity') > 1,
      // The audit service's query API asks here whether an admin token is one now.
      adminTokenCheck: adminTokenCheck({
        identity,
        pseudonymize: (subject) => pseudonym(subjectKey, subject),
      }),
      // …and here which user a pseudonym stands for, for an admin (each lookup audited there).
      subjectLookup: subjectLookup({
        identity,
        pseudonyms: new SubjectPseudonyms({ store, key: subjectKey }),
      }),
    });
    workload.onRotated(() => {
      servers.rotateCredentials();
    });
    log.info(
      { url: servers.url, adminUrl: servers.adminUrl, issuer: identity.settings.issuer },
      'identity listening',
    );
    // rampart up restarts identity when anything it reads changes (its restart key); any other
    // edit of rampart.yaml is acknowledged (no applyConfig), so the supervisor knows every
    // component is on the revision.
    return {
      async stop() {
        await servers.close();
        await identity.close();
        redis?.disconnect();
        await store.close();
        await shipping.stop();
        events.close();
      },
    };
  },
});
