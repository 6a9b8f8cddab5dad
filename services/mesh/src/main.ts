import { readFileSync } from 'node:fs';
import { formatProblem, loadConfig, readComponentEnv, readLogLevel } from '@rampart/config';
import { createLogger, stopOnSignals } from '@rampart/sdk';
import { buildMeshAuthority } from './app.ts';
import { createIpcHandler } from './ipc.ts';

const log = createLogger('mesh', { level: readLogLevel(process.env) });

async function main(): Promise<void> {
  const env = readComponentEnv('mesh', process.env);
  const loaded = await loadConfig(env.configFile);
  if (!loaded.ok) {
    log.fatal(
      { problems: loaded.problems.map((problem) => formatProblem(problem)) },
      'configuration invalid',
    );
    process.exitCode = 1;
    return;
  }
  const mesh = await buildMeshAuthority({
    config: loaded.config,
    stateDir: env.stateDir,
    signingKeyPem: readFileSync(env.internalTokenSigningKeyFile, 'utf8'),
    publicKeyPem: readFileSync(env.internalTokenKeyFile, 'utf8'),
    // The gateway's public key, which services learn from the bundle.
    otherSignerKeyPems:
      env.gatewayTokenKeyFile === undefined ? [] : [readFileSync(env.gatewayTokenKeyFile, 'utf8')],
    log,
  });
  await mesh.start();

  const send = process.send?.bind(process);
  if (send !== undefined) {
    process.on(
      'message',
      createIpcHandler(mesh, (reply) => send(reply), log),
    );
  }
  stopOnSignals(log, () => mesh.stop());
}

main().catch((error: unknown) => {
  log.fatal({ err: error }, 'mesh failed to start');
  process.exitCode = 1;
});
