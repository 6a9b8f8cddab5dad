import { resolveSecret, type RampartConfig } from '@rampart/config';

/**
 * The trace export's headers (`telemetry.traces.headers`), each read here from its reference
 * (`${env:NAME}` in `rampart up`'s environment, or `${file:path}` beside rampart.yaml) and handed
 * to every component over its own IPC channel as `telemetryHeaders` — as the alert webhook's key
 * is: no component needs access to the file, and the collector's credential never sits in an
 * environment another process can read. Resolved once per start, so a component restarted later
 * gets the value in force then. Errors name the header and the reference, never the value.
 *
 * @example
 * writeLaunchSecretEnv('gateway', await telemetrySecrets(config, dirname(configFile)));
 */
export async function telemetrySecrets(
  config: RampartConfig,
  configDir: string,
): Promise<{ telemetryHeaders?: Record<string, string> }> {
  const headers = config.telemetry?.traces?.headers;
  if (headers === undefined || Object.keys(headers).length === 0) return {};
  const telemetryHeaders: Record<string, string> = {};
  for (const [name, reference] of Object.entries(headers)) {
    const value = (await resolveSecret(reference, configDir)).reveal();
    // A header value is one line of visible ASCII and spaces (RFC 9110 field-value, no obs-text):
    // a newline would smuggle another header into every export.
    if (!/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(value)) {
      throw new Error(
        `telemetry.traces.headers.${name} (${reference}) must be one line of printable ASCII: check the variable or the file it reads`,
      );
    }
    telemetryHeaders[name] = value;
  }
  return { telemetryHeaders };
}
