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
  readonly #passwords = new Map<string, string>();

  constructor(config: () => RampartConfig, configDir: string) {
    this.#config = config;
    this.#configDir = configDir;
  }

  /** The launch secrets of one service (or identity, or audit): its password, after provisioning its role and schema. */
  async secretsFor(service: string): Promise<LaunchSecretValues<'service' | 'identity' | 'audit'>> {
    const sql = this.#config().storage?.sql;
    if (sql?.kind !== 'postgres' || sql.adminUrl === undefined) return {};
    let password = this.#passwords.get(service);
    if (password === undefined) {
      password = randomBytes(24).toString('base64url');
      const adminUrl = sql.adminUrl.includes('${')
        ? await resolveSecret(sql.adminUrl, this.#configDir)
        : sql.adminUrl;
      await provisionServiceDatabase({ adminUrl, service, password });
      this.#passwords.set(service, password);
    }
    return { sqlPassword: password };
  }

  /** Storage changed: provision again (and with new passwords) at the next start of each service. */
  reset(): void {
    this.#passwords.clear();
  }
}
