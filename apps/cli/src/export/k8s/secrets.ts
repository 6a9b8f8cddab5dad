import { componentVariables, type ComponentKind, type RampartConfig } from '@rampart/config';
import { secretReferencesFor } from '../../up/secret-variables.ts';

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
    // Optional secrets are given only where the config asks for them (the alert webhook's key).
    if (presence === 'optional' && !(variable.key === 'alertWebhookSecret' && config.audit?.alerts?.webhook))
      continue;
    variables[variable.name] = variable.meaning;
  }
  for (const name of secretReferencesFor(config, kind)) {
    variables[name] = 'a `${env:' + name + '}` reference of rampart.yaml (storage URLs)';
  }
  return variables;
}
