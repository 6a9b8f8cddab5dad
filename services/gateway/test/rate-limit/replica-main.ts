// One gateway replica as its own process, for replicas.test.ts: a real `buildGateway` on its own
// ports, its rate limiter on the Redis the parent names. The parent hands over everything in a
// 0600 JSON file (`GATEWAY_REPLICA_SPEC`: config, TLS, mesh credentials, keys); this process logs
// JSON lines to stdout and reports over IPC: { type: 'ready', url, adminUrl } once it listens, or
// { type: 'failed', code, message } and exits. SIGTERM (or the parent going away) stops it.
//
// Mutation switch for checking the test itself, never set by it: RAMPART_TEST_REPLICA_BACKEND=memory
// starts the replica without `redisUrl` (its limiter in memory, as a single process's would be).
import { readFileSync } from 'node:fs';
import { parseConfig } from '@rampart/config';
import { createLogger } from '@rampart/sdk';
import { buildGateway, type Gateway } from '../../src/app.ts';

/** What the parent writes to the spec file. */
export interface ReplicaSpec {
  readonly configYaml: string;
  readonly redisUrl: string;
  readonly tls: { readonly cert: string; readonly key: string };
  readonly credentials: {
    readonly keyPem: string;
    readonly certPem: string;
    readonly caPems: readonly string[];
    readonly notAfter: string;
  };
  readonly signingKeyPem: string;
  /** base64 */
  readonly pseudonymKey: string;
}

/** What the replica tells the parent over IPC. */
export type ReplicaMessage =
  | { readonly type: 'ready'; readonly url: string; readonly adminUrl: string }
  | { readonly type: 'failed'; readonly code: string | undefined; readonly message: string };

function tell(message: ReplicaMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) {
      resolve();
      return;
    }
    process.send(message, undefined, {}, () => {
      resolve();
    });
  });
}

const specFile = process.env['GATEWAY_REPLICA_SPEC'];
if (specFile === undefined) throw new Error('GATEWAY_REPLICA_SPEC is not set');
const spec = JSON.parse(readFileSync(specFile, 'utf8')) as ReplicaSpec;
const loaded = parseConfig(spec.configYaml, 'rampart.yaml');
if (!loaded.ok) throw new Error(`replica config invalid: ${JSON.stringify(loaded.problems)}`);
const memoryBackend = process.env['RAMPART_TEST_REPLICA_BACKEND'] === 'memory';
const credentials = { ...spec.credentials, tokenKeyPems: [], notAfter: new Date(spec.credentials.notAfter) };

let gateway: Gateway | undefined;
let stopping = false;
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await gateway?.stop().catch(() => undefined);
  process.exit(code);
}
process.on('SIGTERM', () => void stop(0));
process.on('disconnect', () => void stop(0));

try {
  gateway = buildGateway({
    config: loaded.config,
    log: createLogger('gateway', { level: 'info' }),
    tls: spec.tls,
    signingKeyPem: spec.signingKeyPem,
    pseudonymKey: Buffer.from(spec.pseudonymKey, 'base64'),
    credentials: () => credentials,
    ...(memoryBackend ? {} : { redisUrl: spec.redisUrl }),
  });
  const { url, adminUrl } = await gateway.start();
  await tell({ type: 'ready', url, adminUrl });
} catch (error) {
  const { code, message } = error as NodeJS.ErrnoException;
  await tell({ type: 'failed', code, message });
  await stop(1);
}
