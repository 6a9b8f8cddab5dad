import type { ClientMetadata } from 'oidc-provider';
import { isUniqueViolation, type SqlValue, type Store } from '@rampart/sdk';
import type { Revocations } from '../oidc/revocations.ts';
import { AdminError } from './admin-error.ts';

/** A client created through the admin API, as `oauth_clients` holds it (no secret, only whether it has one). */
export interface ApiClient {
  readonly clientId: string;
  /** The oidc-provider metadata, without `client_secret`. */
  readonly metadata: ClientMetadata;
  readonly hasSecret: boolean;
  /** Disabled: no provider row (so no token), until enabled again. */
  readonly disabled: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
}

interface ClientRow {
  readonly client_id: string;
  readonly metadata: string;
  readonly secret_hash: string | null;
  readonly disabled_at: number | string | null;
  readonly created_at: number | string;
  readonly updated_at: number | string;
}

/**
 * API-created clients, kept in two places in one transaction: `oauth_clients` (the registry the
 * admin API lists, with the secret's SHA-256 hash) and oidc-provider's own `Client` rows in
 * `oidc_payloads` (what `provider.Client.find` reads, with `client_secret` = the hash, which the
 * provider's hash-aware `compareClientSecret` checks). The provider keeps no stale copy to clear:
 * its dynamic-client cache is keyed by a hash of the stored metadata, and every lookup reads the
 * store first — a deleted or disabled client is gone, a rotated secret is in force, at the next
 * request. Deleting or disabling a client also puts it on the revocation feed, in the same
 * transaction, so the gateways refuse the JWT access tokens already issued to it within a second.
 */
export class ClientRegistry {
  readonly #store: Store;
  readonly #revocations: Pick<Revocations, 'revokeClient'>;
  readonly #now: () => number;

  constructor(store: Store, revocations: Pick<Revocations, 'revokeClient'>, now: () => number = Date.now) {
    this.#store = store;
    this.#revocations = revocations;
    this.#now = now;
  }

  /** Up to `limit` clients after the id `after`, by id. */
  async list(after: string | null, limit: number): Promise<ApiClient[]> {
    const params: SqlValue[] = [];
    let sql = 'SELECT * FROM oauth_clients';
    if (after !== null) {
      sql += ' WHERE client_id > ?';
      params.push(after);
    }
    sql += ' ORDER BY client_id LIMIT ?';
    params.push(limit);
    return (await this.#store.all<ClientRow>(sql, params)).map(apiClient);
  }

  async find(clientId: string): Promise<ApiClient | undefined> {
    const row = await this.#store.get<ClientRow>('SELECT * FROM oauth_clients WHERE client_id = ?', [
      clientId,
    ]);
    return row === undefined ? undefined : apiClient(row);
  }

  /** Registers a client; 409 `client_exists` if the id is taken. `metadata` carries no secret. */
  async insert(metadata: ClientMetadata, secretHash: string | null): Promise<ApiClient> {
    const clientId = metadata.client_id;
    const at = this.#now();
    const stored = withoutSecret(metadata);
    try {
      await this.#store.transaction(async (tx) => {
        await tx.run(
          'INSERT INTO oauth_clients (client_id, metadata, secret_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
          [clientId, JSON.stringify(stored), secretHash, at, at],
        );
        // Grants left by an earlier client of the same id must not come back to life.
        await removeClientState(tx, clientId);
        await writeProviderClient(tx, stored, secretHash);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw clientExists();
      throw error;
    }
    return {
      clientId,
      metadata: stored,
      hasSecret: secretHash !== null,
      disabled: false,
      createdAt: at,
      updatedAt: at,
    };
  }

  /**
   * Disables a client (its provider row, grants, codes and refresh tokens deleted, every token
   * issued to it revoked at the gateways) or enables it again (the provider row written back with
   * the same secret hash). Unchanged if it already is so; undefined if there is no such client.
   */
  setDisabled(clientId: string, disabled: boolean): Promise<ApiClient | undefined> {
    return this.#store.transaction(async (tx) => {
      const row = await tx.get<ClientRow>('SELECT * FROM oauth_clients WHERE client_id = ?', [clientId]);
      if (row === undefined) return undefined;
      if ((row.disabled_at !== null) === disabled) return apiClient(row);
      const at = this.#now();
      await tx.run('UPDATE oauth_clients SET disabled_at = ?, updated_at = ? WHERE client_id = ?', [
        disabled ? at : null,
        at,
        clientId,
      ]);
      if (disabled) {
        await tx.run("DELETE FROM oidc_payloads WHERE model = 'Client' AND id = ?", [clientId]);
        await removeClientState(tx, clientId);
        await this.#revocations.revokeClient(clientId, tx);
      } else {
        await writeProviderClient(tx, parseMetadata(row.metadata), row.secret_hash);
      }
      return apiClient({ ...row, disabled_at: disabled ? at : null, updated_at: at });
    });
  }

  /**
   * Replaces the secret hash (the old secret stops working at once); false if the client has no
   * secret. A disabled client stays disabled: the new secret works once it is enabled.
   */
  rotateSecret(clientId: string, secretHash: string): Promise<boolean> {
    return this.#store.transaction(async (tx) => {
      const row = await tx.get<ClientRow>(
        'SELECT * FROM oauth_clients WHERE client_id = ? AND secret_hash IS NOT NULL',
        [clientId],
      );
      if (row === undefined) return false;
      await tx.run('UPDATE oauth_clients SET secret_hash = ?, updated_at = ? WHERE client_id = ?', [
        secretHash,
        this.#now(),
        clientId,
      ]);
      if (row.disabled_at === null) await writeProviderClient(tx, parseMetadata(row.metadata), secretHash);
      return true;
    });
  }

  /**
   * Deletes a client with everything issued to it (grants, refresh tokens, codes, stored tokens),
   * and revokes the JWT access tokens already issued to it; false if there is no such client.
   */
  remove(clientId: string): Promise<boolean> {
    return this.#store.transaction(async (tx) => {
      const { changes } = await tx.run('DELETE FROM oauth_clients WHERE client_id = ?', [clientId]);
      if (changes !== 1) return false;
      await tx.run("DELETE FROM oidc_payloads WHERE model = 'Client' AND id = ?", [clientId]);
      await removeClientState(tx, clientId);
      await this.#revocations.revokeClient(clientId, tx);
      return true;
    });
  }
}

function clientExists(): AdminError {
  return new AdminError(409, 'client_exists', 'A client with that id exists.');
}

/** The provider's `Client` row: the metadata with the secret's hash, no expiry. */
async function writeProviderClient(
  tx: Store,
  metadata: ClientMetadata,
  secretHash: string | null,
): Promise<void> {
  const payload = secretHash === null ? metadata : { ...metadata, client_secret: secretHash };
  await tx.run(
    `INSERT INTO oidc_payloads (model, id, payload) VALUES ('Client', ?, ?)
     ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload`,
    [metadata.client_id, JSON.stringify(payload)],
  );
}

/**
 * Deletes the grants of a client and everything issued under them or to it (`client_id` is
 * written by the store adapter from each payload's `clientId`; the payloads themselves are sealed).
 */
async function removeClientState(tx: Store, clientId: string): Promise<void> {
  await tx.run(
    `DELETE FROM oidc_payloads WHERE grant_id IN
       (SELECT id FROM oidc_payloads WHERE model = 'Grant' AND client_id = ?)`,
    [clientId],
  );
  await tx.run("DELETE FROM oidc_payloads WHERE model <> 'Client' AND client_id = ?", [clientId]);
}

function apiClient(row: ClientRow): ApiClient {
  return {
    clientId: row.client_id,
    metadata: parseMetadata(row.metadata),
    hasSecret: row.secret_hash !== null,
    disabled: row.disabled_at !== null,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function withoutSecret(metadata: ClientMetadata): ClientMetadata {
  const copy = { ...metadata };
  delete copy.client_secret;
  return copy;
}

function parseMetadata(text: string): ClientMetadata {
  return JSON.parse(text) as ClientMetadata;
}
