import type { Migration } from '@rampart/sdk';

/**
 * The identity service's own tables (accounts have theirs in `accounts/migrations.ts`). Portable
 * SQL: the same migrations run on the embedded engine and on PostgreSQL.
 */
export const identityMigrations: readonly Migration[] = [
  {
    // Everything oidc-provider persists (sessions, interactions, codes, tokens, grants), one row
    // per model instance. `grant_id` ties a family together so that revoking a grant is one DELETE.
    id: 'identity-0001-oidc-payloads',
    sql: `CREATE TABLE oidc_payloads (
            model TEXT NOT NULL,
            id TEXT NOT NULL,
            payload TEXT NOT NULL,
            grant_id TEXT,
            uid TEXT,
            user_code TEXT,
            account_id TEXT,
            expires_at BIGINT,
            consumed_at BIGINT,
            PRIMARY KEY (model, id)
          );
          CREATE INDEX oidc_payloads_grant ON oidc_payloads (grant_id);
          CREATE INDEX oidc_payloads_uid ON oidc_payloads (model, uid);
          CREATE INDEX oidc_payloads_account ON oidc_payloads (model, account_id);
          CREATE INDEX oidc_payloads_expiry ON oidc_payloads (expires_at)`,
  },
  {
    // Token-signing keys. Private JWKs are sealed with the identity keyring (AES-256-GCM bound to
    // the row). `state`: next (published, not signing), current (signing), retired (published
    // until the last token it signed has expired).
    id: 'identity-0002-signing-keys',
    sql: `CREATE TABLE signing_keys (
            kid TEXT PRIMARY KEY,
            alg TEXT NOT NULL,
            private_jwk TEXT NOT NULL,
            state TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            activated_at BIGINT,
            retired_at BIGINT
          );
          CREATE UNIQUE INDEX signing_keys_one_per_state ON signing_keys (state)
            WHERE state IN ('current', 'next')`,
  },
  {
    // Shared secrets every replica must agree on (cookie-signing keys), sealed like the keys.
    id: 'identity-0003-secrets',
    sql: `CREATE TABLE identity_secrets (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            created_at BIGINT NOT NULL
          )`,
  },
  {
    // Clients created through the admin API (those of rampart.yaml are read from it). The secret
    // is stored only as a SHA-256 hash: it is 256 random bits, so a fast hash is the right one.
    id: 'identity-0004-clients',
    sql: `CREATE TABLE oauth_clients (
            client_id TEXT PRIMARY KEY,
            metadata TEXT NOT NULL,
            secret_hash TEXT,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
          )`,
  },
  {
    // What replicas of the gateway must stop accepting before the access tokens expire by
    // themselves: a grant (token family) or every token of a subject issued before a moment.
    // `seq` orders the feed the gateway polls; rows are pruned once no token they cover is alive.
    id: 'identity-0005-revocations',
    sql: `CREATE TABLE revocations (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            value TEXT NOT NULL,
            issued_before BIGINT NOT NULL,
            expires_at BIGINT NOT NULL
          )`,
    postgres: `CREATE TABLE revocations (
            seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            kind TEXT NOT NULL,
            value TEXT NOT NULL,
            issued_before BIGINT NOT NULL,
            expires_at BIGINT NOT NULL
          )`,
  },
  {
    // One current and one next key per algorithm: ES256 signs access tokens and ID tokens by
    // default, RS256 ID tokens for the clients registered for it (OpenID Connect Core §15.1).
    id: 'identity-0006-signing-keys-per-algorithm',
    sql: `DROP INDEX signing_keys_one_per_state;
          CREATE UNIQUE INDEX signing_keys_one_per_alg_state ON signing_keys (alg, state)
            WHERE state IN ('current', 'next')`,
  },
  {
    // Bearer ids are stored as keyed hashes and payloads sealed from now on (oidc/payload-sealing.ts).
    // Rows written before held them in clear and are short-lived (sessions, codes, tokens, their
    // grants): they are dropped, so every user signs in once more. API-created clients stay.
    // `client_id` lets a client's deletion find its rows without reading their (sealed) payloads.
    id: 'identity-0007-sealed-payloads',
    sql: `ALTER TABLE oidc_payloads ADD COLUMN client_id TEXT;
          CREATE INDEX oidc_payloads_client ON oidc_payloads (client_id);
          DELETE FROM oidc_payloads WHERE model <> 'Client'`,
  },
  {
    // A client disabled through the admin API keeps its registration (and secret hash) but loses
    // its provider row, grants and tokens until it is enabled again (admin/client-registry.ts).
    id: 'identity-0008-client-disabled',
    sql: 'ALTER TABLE oauth_clients ADD COLUMN disabled_at BIGINT',
  },
  {
    // Each bootstrap file applied, by the SHA-256 of its content: a file that stays where identity
    // reads it at every start (a Kubernetes Secret) is applied once, and never re-creates an
    // account deleted since (bootstrap.ts).
    id: 'identity-0009-bootstraps-applied',
    sql: `CREATE TABLE bootstraps_applied (
            digest TEXT PRIMARY KEY,
            applied_at BIGINT NOT NULL
          )`,
  },
];
