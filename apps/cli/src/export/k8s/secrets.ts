import {
  componentVariables,
  type ComponentEnvKey,
  type ComponentKind,
  type RampartConfig,
} from '@rampart/config';
import { secretReferencesFor } from '../../up/secret-variables.ts';

/** When an optional secret of the contract is given: the setting of rampart.yaml that needs it. */
const OPTIONAL_SECRET_IN_USE: Partial<Record<ComponentEnvKey, (config: RampartConfig) => boolean>> = {
  alertWebhookSecret: (config) => config.audit?.alerts?.webhook !== undefined,
  telemetryHeaders: (config) => Object.keys(config.telemetry?.traces?.headers ?? {}).length > 0,
};

/**
 * The secret variables a kind of component reads where `rampart up` would hand them over IPC, with
 * what each holds: the contract's secrets (`channel: 'ipc'`) it gets under this config, and the
 * `${env:NAME}` references of rampart.yaml it resolves itself. On Kubernetes each is a key of the
 * workload's `-env` Secret, read from the directory `RAMPART_SECRETS_DIR` names.
 *
 * @example
 * secretVariablesOf(config, 'identity'); // { RAMPART_CLIENT_SECRETS: 'each confidential client…', … }
 */
export function secretVariablesOf(config: RampartConfig, kind: ComponentKind): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const variable of componentVariables()) {
    if (variable.channel !== 'ipc' || variable.readThrough === 'reference') continue;
    const presence = variable.components[kind];
    if (presence === undefined) continue;
    // Optional secrets are given only where the config asks for them.
    if (presence === 'optional' && !OPTIONAL_SECRET_IN_USE[variable.key]?.(config)) continue;
    variables[variable.name] = variable.meaning;
  }
  for (const name of secretReferencesFor(config, kind)) {
    variables[name] = 'a `${env:' + name + '}` reference of rampart.yaml (storage URLs)';
  }
  return variables;
}
