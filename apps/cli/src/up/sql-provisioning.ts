import { randomBytes } from 'node:crypto';
import { resolveSecret, type LaunchSecretValues, type RampartConfig } from '@rampart/config';
import { provisionServiceDatabase } from '@rampart/sdk';

/**
 * When `storage.sql.adminUrl` is set, gives each service, identity and the audit service its own PostgreSQL role and schema and a
 * password of its own, fresh at every `rampart up`: the supervisor keeps the passwords in memory
 * and hands each service only its own, as `componentEnv.sqlPassword` over its IPC channel (never in
 * its environment). Nothing is written to disk.
 */
export class SqlProvisioning {
  readonly #config: () => RampartConfig;
  readonly #configDir: string;
  /** One provisioning per service: replicas (identity's) starting at once share it, and its password. */
  readonly #passwords = new Map<string, Promise<string>>();

  constructor(config: () => RampartConfig, configDir: string) {
    this.#config = config;
    this.#configDir = configDir;
  }

  /** The launch secrets of one service (or identity, or audit): its password, after provisioning its role and schema. */
  async secretsFor(service: string): Promise<LaunchSecretValues<'service' | 'identity' | 'audit'>> {
    const sql = this.#config().storage?.sql;
    if (sql?.kind !== 'postgres' || sql.adminUrl === undefined) return {};
    const adminRef = sql.adminUrl;
    let password = this.#passwords.get(service);
    if (password === undefined) {
      password = (async () => {
        const fresh = randomBytes(24).toString('base64url');
        const adminUrl = adminRef.includes('${') ? await resolveSecret(adminRef, this.#configDir) : adminRef;
        await provisionServiceDatabase({ adminUrl, service, password: fresh });
        return fresh;
      })();
      this.#passwords.set(service, password);
      // A failed provisioning is tried again at the next start.
      password.catch(() => {
        if (this.#passwords.get(service) === password) this.#passwords.delete(service);
      });
    }
    return { sqlPassword: await password };
  }

  /** Storage changed: provision again (and with new passwords) at the next start of each service. */
  reset(): void {
    this.#passwords.clear();
  }
}
