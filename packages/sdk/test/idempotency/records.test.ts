import { join } from 'node:path';
import { requireService, tempDir, type TempDir, PG_ADMIN_URL, createTempSchema } from '@rampart/testing';
import { openEmbeddedStore, openPostgresStore } from '../../src/store/index.ts';
import { runIdempotencyRecordsContract } from './records-contract.ts';

let dir: TempDir | undefined;
runIdempotencyRecordsContract({
  name: 'embedded (node:sqlite)',
  availability: { skip: false },
  async open() {
    dir = await tempDir('rampart-idempotency-');
    return openEmbeddedStore(join(dir.path, 'service.sqlite'));
  },
  openReplica() {
    if (dir === undefined) throw new Error('open() first');
    return Promise.resolve(openEmbeddedStore(join(dir.path, 'service.sqlite')));
  },
  async cleanup() {
    await dir?.cleanup();
  },
});

let schema: { schema: string; drop(): Promise<void> } | undefined;
runIdempotencyRecordsContract({
  name: 'PostgreSQL',
  availability: await requireService('postgres'),
  async open() {
    schema = await createTempSchema();
    return openPostgresStore({ url: PG_ADMIN_URL, schema: schema.schema, maxConnections: 8 });
  },
  openReplica() {
    if (schema === undefined) throw new Error('open() first');
    return Promise.resolve(
      openPostgresStore({ url: PG_ADMIN_URL, schema: schema.schema, maxConnections: 8 }),
    );
  },
  async cleanup() {
    await schema?.drop();
  },
});
