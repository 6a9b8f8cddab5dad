import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import pg from 'pg';
import { describeIfAvailable, requireService, asPgAdmin, uniqueName, pgUrlFor } from '@rampart/testing';
import { provisionServiceDatabase, openPostgresStore, type Store } from '../../src/store/index.ts';
import { scramSha256Verifier } from '../../src/store/scram.ts';

const availability = await requireService('postgres');

/** Two services provisioned in a database of their own, so the REVOKEs touch nothing shared. */
describeIfAvailable('provisionServiceDatabase: each service its own role and schema', availability, () => {
  const suffix = uniqueName('x').slice(2);
  const database = `rampart_iso_${suffix}`;
  const profiles = `profiles-${suffix.replaceAll('_', '-')}`;
  const payments = `payments-${suffix.replaceAll('_', '-')}`;
  const profilesSchema = profiles.replaceAll('-', '_');
  const paymentsSchema = payments.replaceAll('-', '_');
  // rampart-ignore secrets/generic-secret a role password this test provisions in a throwaway PostgreSQL schema
  const password = 'Pr0files-only-passw0rd!';
  let profilesStore: Store;
  let paymentsStore: Store;
  let profilesUrl: string;

  before(async () => {
    await asPgAdmin((c) => c.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`));
    const adminUrl = pgUrlFor(database);
    const p = await provisionServiceDatabase({ adminUrl, service: profiles, password });
    // Idempotent: a second run (the next deploy) succeeds and changes nothing it should not.
    await provisionServiceDatabase({ adminUrl, service: profiles, password });
    const q = await provisionServiceDatabase({
      adminUrl,
      service: payments,
      // rampart-ignore secrets/generic-secret a role password this test provisions in a throwaway PostgreSQL schema
      password: 'Paym3nts-only-passw0rd!',
    });
    profilesUrl = p.url.reveal();
    assert.equal(p.role, `rampart_${profilesSchema}`);
    assert.equal(p.schema, profilesSchema);
    profilesStore = openPostgresStore({ url: p.url, schema: p.schema });
    paymentsStore = openPostgresStore({ url: q.url, schema: q.schema });
  });

  after(async () => {
    await profilesStore.close();
    await paymentsStore.close();
    await asPgAdmin(async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`);
      for (const schema of [profilesSchema, paymentsSchema]) {
        await c.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(`rampart_${schema}`)}`);
      }
    });
  });

  it('returns a URL for the service role and never prints the password', () => {
    const url = new URL(profilesUrl);
    assert.equal(url.username, `rampart_${profilesSchema}`);
    assert.equal(decodeURIComponent(url.password), password);
    assert.equal(url.pathname, `/${database}`);
  });

  it('creates a login role with no other power', async () => {
    const role = await asPgAdmin((c) =>
      c.query<{
        rolsuper: boolean;
        rolcreatedb: boolean;
        rolcreaterole: boolean;
        rolinherit: boolean;
        rolcanlogin: boolean;
        rolreplication: boolean;
        rolbypassrls: boolean;
        rolconnlimit: number;
      }>(
        'SELECT rolsuper, rolcreatedb, rolcreaterole, rolinherit, rolcanlogin, rolreplication, rolbypassrls, rolconnlimit FROM pg_roles WHERE rolname = $1',
        [`rampart_${profilesSchema}`],
      ),
    );
    assert.deepEqual(role.rows[0], {
      rolsuper: false,
      rolcreatedb: false,
      rolcreaterole: false,
      rolinherit: false,
      rolcanlogin: true,
      rolreplication: false,
      rolbypassrls: false,
      rolconnlimit: 20,
    });
  });

  it('stores only a SCRAM verifier that matches the password', async () => {
    const stored = await asPgAdmin((c) =>
      c.query<{ p: string }>('SELECT rolpassword AS p FROM pg_authid WHERE rolname = $1', [
        `rampart_${profilesSchema}`,
      ]),
    );
    const verifier = stored.rows[0]?.p ?? '';
    const match = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(verifier);
    assert.ok(match, 'a SCRAM-SHA-256 verifier');
    assert.equal(scramSha256Verifier(password, Buffer.from(match[2]!, 'base64'), Number(match[1])), verifier);
  });

  it('lets each service use its own schema', async () => {
    await profilesStore.migrate([
      { id: '0001', sql: 'CREATE TABLE profiles (id TEXT PRIMARY KEY, name TEXT)' },
    ]);
    await paymentsStore.migrate([
      { id: '0001', sql: 'CREATE TABLE cards (id TEXT PRIMARY KEY, last4 TEXT)' },
    ]);
    await profilesStore.run('INSERT INTO profiles (id, name) VALUES (?, ?)', ['u1', 'enc:…']);
    await paymentsStore.run('INSERT INTO cards (id, last4) VALUES (?, ?)', ['c1', '4242']);
    assert.equal((await profilesStore.get<{ id: string }>('SELECT id FROM profiles'))?.id, 'u1');
    const who = await profilesStore.get<{ u: string }>('SELECT current_user AS u');
    assert.equal(who?.u, `rampart_${profilesSchema}`);
  });

  it("denies one service's role every read and write of another's schema", async () => {
    const cards = `${pg.escapeIdentifier(paymentsSchema)}.cards`;
    const denied = /permission denied/;
    await assert.rejects(profilesStore.all(`SELECT * FROM ${cards}`), denied);
    await assert.rejects(
      profilesStore.run(`INSERT INTO ${cards} (id, last4) VALUES (?, ?)`, ['x', '0000']),
      denied,
    );
    await assert.rejects(profilesStore.run(`DELETE FROM ${cards}`), denied);
    await assert.rejects(
      profilesStore.run(`CREATE TABLE ${pg.escapeIdentifier(paymentsSchema)}.planted (id TEXT)`),
      denied,
    );
    assert.equal((await paymentsStore.get<{ c: number }>('SELECT COUNT(*) AS c FROM cards'))?.c, 1);
  });

  it('denies creating objects in public, temporary tables and new schemas', async () => {
    const denied = /permission denied/;
    await assert.rejects(profilesStore.run('CREATE TABLE public.planted (id TEXT)'), denied);
    await assert.rejects(profilesStore.run('CREATE TEMPORARY TABLE scratch (id TEXT)'), denied);
    await assert.rejects(profilesStore.run('CREATE SCHEMA elsewhere'), denied);
  });

  it('refuses identifiers and passwords outside the allowed shapes', async () => {
    const adminUrl = pgUrlFor(database);
    await assert.rejects(provisionServiceDatabase({ adminUrl, service: 'Bad"; DROP', password }), TypeError);
    await assert.rejects(provisionServiceDatabase({ adminUrl, service: 'ok', password: 'short' }), TypeError);
    await assert.rejects(
      provisionServiceDatabase({ adminUrl, service: 'ok', password: "quote'sInside but spaces" }),
      TypeError,
    );
  });
});
