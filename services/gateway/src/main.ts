// The gateway, as `rampart up` runs it: joins the mesh as spiffe://<td>/rampart/gateway, then
// runs one worker thread per core (`gateway.workers`) on the public HTTPS port. The boot sequence
// (secrets, environment, config, mesh identity, admin port, reloads, stop) is @rampart/sdk's
// `bootComponent`. See ../README.md.
import { readFileSync } from 'node:fs';
import { EXTERNAL_CA_RENEWED, readLogLevel, replicaAdminPort, replicaCount } from '@rampart/config';
import { tlsPairProblem } from '@rampart/mesh';
import { bootComponent, createMetrics } from '@rampart/sdk';
import { gatewaySettings, localUrl } from './settings.ts';
import {
  adminContent,
  assertOnlyOwnListeners,
  assertPortFree,
  startWorkerPool,
  watchPort,
  workerCount,
} from './workers/index.ts';

await bootComponent({
  kind: 'gateway',
  // Each worker thread exports its own spans; this thread makes none.
  traceExport: 'threads',
  async start({ env, config, workload, log, reveal }) {
    const settings = gatewaySettings(config);
    const replica = Number(env.replica ?? '1');
    const adminPort = replicaAdminPort(settings.adminPort, replica);
    // One of several replicas under rampart up (`gateway.replicas`): its siblings share the public
    // port, and the supervisor, which knows their pids, watches it for anyone else's socket.
    const sharedWithReplicas = env.replica !== undefined && replicaCount(config, 'gateway') > 1;
    // Nothing else may hold the public port: with SO_REUSEPORT it would take part of the clients.
    if (!sharedWithReplicas) assertPortFree(settings.port);
    const readTls = () => ({
      cert: readFileSync(env.tlsCertFile, 'utf8'),
      key: readFileSync(env.tlsKeyFile, 'utf8'),
    });
    const redisRef = config.storage?.redis?.url;
    const redisUrl = redisRef === undefined ? undefined : await reveal(redisRef);
    // The trace export's headers: handed by rampart up, else read from their references here.
    const telemetryHeaders =
      env.telemetryHeaders ??
      Object.fromEntries(
        await Promise.all(
          Object.entries(config.telemetry?.traces?.headers ?? {}).map(
            async ([name, reference]) => [name, await reveal(reference)] as const,
          ),
        ),
      );
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
        sharedWithReplicas,
        config,
        ...(redisUrl === undefined ? {} : { redisUrl }),
        tls: readTls(),
        // The issuer's key set comes through the gateway's own address: with a certificate the
        // operator supplies and no `caFile`, its root is in the system's store.
        ...(config.gateway?.tls !== undefined && config.gateway.tls.caFile === undefined
          ? {}
          : { issuerCa: readFileSync(env.edgeCaFile, 'utf8') }),
        ...(env.externalCaDir === undefined ? {} : { externalCaDir: env.externalCaDir }),
        signingKeyPem: readFileSync(env.internalTokenSigningKeyFile, 'utf8'),
        pseudonymKey: readFileSync(env.pseudonymKeyFile),
        credentials: workload.current(),
        followRevocations: true,
        ...(env.auditUrl === undefined ? {} : { audit: { stateDir: env.stateDir, url: env.auditUrl } }),
        logLevel: readLogLevel(process.env),
        telemetryHeaders,
        log,
      },
      (error) => {
        // A crash loop (a configuration the workers refuse, a bug): let the supervisor restart us.
        log.fatal({ err: error }, 'gateway workers keep failing');
        process.exit(1);
      },
    );
    workload.onRotated(() => {
      pool.setCredentials(workload.current());
    });
    await pool.started;
    try {
      if (!sharedWithReplicas) assertOnlyOwnListeners(settings.port);
    } catch (error) {
      await pool.stop();
      throw error;
    }
    const unwatchPort = sharedWithReplicas ? () => undefined : watchPort(settings.port, log);
    return {
      admin: { port: adminPort, ...adminContent(pool, createMetrics('gateway').registry) },
      listening: { url: localUrl(settings), workers: count },
      async applyConfig(revision, next) {
        try {
          await pool.applyConfig(revision, next);
        } catch (error) {
          log.error({ err: error }, 'configuration not applied');
          throw error;
        }
      },
      onMessage(message) {
        const type =
          typeof message === 'object' && message !== null && 'type' in message ? message.type : undefined;
        if (type === EXTERNAL_CA_RENEWED) {
          // rampart up copied a changed CA file in: each worker reads and checks it, or keeps its own.
          pool.reloadExternalCas();
          log.info('pinned CAs of the external upstreams read again');
          return;
        }
        if (type === 'tls.renewed') {
          const tls = readTls();
          const problem = tlsPairProblem(tls.cert, tls.key);
          if (problem !== undefined) {
            log.error({ problem }, 'public TLS certificate not renewed: the one being served is kept');
            return;
          }
          pool.setTls(tls);
          log.info('public TLS certificate renewed');
        }
      },
      async stop() {
        unwatchPort();
        await pool.stop();
      },
    };
  },
});
