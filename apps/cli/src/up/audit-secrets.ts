import { resolveSecret, type LaunchSecretValues, type RampartConfig } from '@rampart/config';

/** The shortest webhook secret accepted (bytes), as the audit service checks it. */
const MIN_WEBHOOK_SECRET_BYTES = 32;

/**
 * The audit service's launch secrets: the alert webhook's signing key, read here from its
 * reference (`${env:NAME}` in `rampart up`'s environment, or `${file:path}` beside rampart.yaml)
 * and handed over the audit service's IPC channel — the audit user needs no access to the file
 * and the key never sits in an environment another process can read. Errors name the reference
 * and the rule, never the value.
 *
 * @example
 * writeLaunchSecretEnv('audit', await auditSecrets(config, dirname(configFile)));
 */
export async function auditSecrets(
  config: RampartConfig,
  configDir: string,
): Promise<LaunchSecretValues<'audit'>> {
  const webhook = config.audit?.alerts?.webhook;
  if (webhook === undefined) return {};
  const secret = (await resolveSecret(webhook.secret, configDir)).reveal();
  if (Buffer.byteLength(secret) < MIN_WEBHOOK_SECRET_BYTES) {
    throw new Error(
      `audit.alerts.webhook.secret (${webhook.secret}) must be at least ${String(MIN_WEBHOOK_SECRET_BYTES)} bytes: generate one with \`openssl rand -hex 32\``,
    );
  }
  return { alertWebhookSecret: secret };
}
