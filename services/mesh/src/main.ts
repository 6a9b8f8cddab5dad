import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { formatProblem, loadConfig } from '@rampart/config';
import { createLogger, readServiceEnv, stopOnSignals } from '@rampart/sdk';
import { buildMeshAuthority } from './app.ts';
import { createIpcHandler } from './ipc.ts';

const log = createLogger('mesh', { level: process.env['RAMPART_LOG_LEVEL'] ?? 'info' });

async function main(): Promise<void> {
  const env = readServiceEnv(process.env);
  if (env.component !== 'mesh')
    throw new TypeError(`RAMPART_COMPONENT must be "mesh", got "${env.component}"`);
  const signingKeyFile = process.env['RAMPART_INTERNAL_TOKEN_SIGNING_KEY'];
  if (signingKeyFile === undefined || !isAbsolute(signingKeyFile)) {
    throw new TypeError('RAMPART_INTERNAL_TOKEN_SIGNING_KEY must be the absolute path of the signing key');
  }
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
    signingKeyPem: readFileSync(signingKeyFile, 'utf8'),
    publicKeyPem: readFileSync(env.internalTokenKeyFile, 'utf8'),
    otherSignerKeyPems: otherSignerKeys(),
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

/** The gateway's public key (`RAMPART_GATEWAY_TOKEN_KEY`), which services learn from the bundle. */
function otherSignerKeys(): string[] {
  const file = process.env['RAMPART_GATEWAY_TOKEN_KEY'];
  if (file === undefined) return [];
  if (!isAbsolute(file)) throw new TypeError('RAMPART_GATEWAY_TOKEN_KEY must be an absolute path');
  return [readFileSync(file, 'utf8')];
}

main().catch((error: unknown) => {
  log.fatal({ err: error }, 'mesh failed to start');
  process.exitCode = 1;
});
