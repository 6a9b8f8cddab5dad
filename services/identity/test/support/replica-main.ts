// One identity replica as its own process, for test/oidc/replicas.test.ts: a real HTTPS listener,
// the shared PostgreSQL schema, the shared keyring and Redis. Security events go to stdout as
// JSON lines ({"event": …}); {"ready": true} once it listens.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { Redis } from 'ioredis';
import { parseConfig } from '@rampart/config';
import {
  createLogger,
  createSecurityEvents,
  FieldCipher,
  LocalKeyring,
  openPostgresStore,
} from '@rampart/sdk';
import { buildIdentity } from '../../src/app.ts';
import { identityHandlers } from '../../src/handlers.ts';

interface ReplicaSpec {
  readonly configYaml: string;
  readonly port: number;
  readonly postgresUrl: string;
  readonly schema: string;
  readonly keyringFile: string;
  readonly tls: { readonly key: string; readonly cert: string };
  readonly clientSecretHashes: Record<string, string>;
  readonly redisUrl: string;
}

const spec = JSON.parse(process.env['IDENTITY_REPLICA'] ?? '{}') as ReplicaSpec;
const loaded = parseConfig(spec.configYaml, 'rampart.yaml');
if (!loaded.ok) throw new Error('replica config invalid');
const store = openPostgresStore({ url: spec.postgresUrl, schema: spec.schema, maxConnections: 8 });
const redis = new Redis(spec.redisUrl, { enableOfflineQueue: true, maxRetriesPerRequest: 1 });
const identity = await buildIdentity({
  config: loaded.config,
  store,
  cipher: new FieldCipher(await LocalKeyring.open(spec.keyringFile)),
  log: createLogger('identity', { level: 'silent' }),
  events: createSecurityEvents({
    serviceName: 'identity',
    sink: {
      write: (event) => {
        process.stdout.write(`${JSON.stringify(event)}\n`);
      },
    },
    subjectKey: new Uint8Array(32).fill(7),
  }),
  clientSecretHashes: spec.clientSecretHashes,
  handlers: identityHandlers,
  redis,
});
const server = createServer(
  { key: readFileSync(spec.tls.key), cert: readFileSync(spec.tls.cert) },
  (req, res) => {
    identity.handle(req, res);
  },
);
server.listen(spec.port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void identity.close().then(async () => {
    redis.disconnect();
    await store.close();
    process.exit(0);
  });
});
