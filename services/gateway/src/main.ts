// The gateway, as `rampart up` runs it: joins the mesh as spiffe://<td>/rampart/gateway, then
// serves the public HTTPS port and the admin port. See ../README.md.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatProblem, loadConfig, resolveSecret, trustDomainOf } from '@rampart/config';
import { componentSpiffeId, startWorkloadIdentity } from '@rampart/mesh';
import { createLogger, isConfigMessage, requiredEnv, requiredEnvPath, stopOnSignals } from '@rampart/sdk';
import { buildGateway, type Gateway } from './app.ts';

const log = createLogger('gateway', { level: process.env['RAMPART_LOG_LEVEL'] ?? 'info' });

const path = (name: string): string => requiredEnvPath(process.env, name);
const variable = (name: string): string => requiredEnv(process.env, name);

async function main(): Promise<void> {
  const loaded = await loadConfig(path('RAMPART_CONFIG'));
  if (!loaded.ok) {
    log.fatal(
      { problems: loaded.problems.map((problem) => formatProblem(problem)) },
      'configuration invalid',
    );
    process.exitCode = 1;
    return;
  }
  const trustDomain = trustDomainOf(loaded.config);
  const identity = await startWorkloadIdentity({
    authorityUrl: variable('RAMPART_MESH_URL'),
    authoritySpiffeId: componentSpiffeId(trustDomain, 'mesh'),
    bundlePem: readFileSync(path('RAMPART_MESH_BUNDLE'), 'utf8'),
    joinToken: variable('RAMPART_JOIN_TOKEN'),
    spiffeId: componentSpiffeId(trustDomain, 'gateway'),
  });
  const readTls = () => ({
    cert: readFileSync(path('RAMPART_TLS_CERT'), 'utf8'),
    key: readFileSync(path('RAMPART_TLS_KEY'), 'utf8'),
  });
  const redisRef = loaded.config.storage?.redis?.url;
  const redisUrl =
    redisRef === undefined
      ? undefined
      : redisRef.includes('${')
        ? (await resolveSecret(redisRef, dirname(loaded.file))).reveal()
        : redisRef;
  let gateway: Gateway;
  try {
    gateway = buildGateway({
      config: loaded.config,
      ...(redisUrl === undefined ? {} : { redisUrl }),
      log,
      tls: readTls(),
      issuerCa: readFileSync(path('RAMPART_EDGE_CA'), 'utf8'),
      signingKeyPem: readFileSync(path('RAMPART_INTERNAL_TOKEN_SIGNING_KEY'), 'utf8'),
      pseudonymKey: readFileSync(path('RAMPART_PSEUDONYM_KEY')),
      credentials: () => identity.current(),
      followRevocations: true,
    });
  } catch (error) {
    // A configuration the gateway refuses (a Cedar policy set that does not parse): exit, with
    // nothing left running to keep the process alive.
    identity.stop();
    throw error;
  }
  identity.onRotated(() => {
    gateway.rotateCredentials();
  });
  const { url, adminUrl } = await gateway.start();
  log.info({ url, adminUrl }, 'gateway listening');

  const send = process.send?.bind(process);
  if (send !== undefined) {
    process.on('message', (message: unknown) => {
      if (isConfigMessage(message)) {
        try {
          gateway.applyConfig(message.revision, message.config);
          send({ type: 'config.applied', revision: message.revision });
        } catch (error) {
          log.error({ err: error }, 'configuration not applied');
          send({ type: 'config.rejected', revision: message.revision, reason: 'invalid' });
        }
      } else if (
        typeof message === 'object' &&
        message !== null &&
        (message as { type?: unknown }).type === 'tls.renewed'
      ) {
        gateway.setTls(readTls());
        log.info('public TLS certificate renewed');
      }
    });
  }
  stopOnSignals(log, async () => {
    identity.stop();
    await gateway.stop();
  });
}

main().catch((error: unknown) => {
  log.fatal({ err: error }, 'gateway failed to start');
  process.exitCode = 1;
});
