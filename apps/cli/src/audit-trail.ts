import { dirname } from 'node:path';
import { AuditTrailMissingError, openAuditStoreForOperator } from '@rampart/audit';
import { formatProblem, loadConfig } from '@rampart/config';
import type { Store } from '@rampart/sdk';
import { stateDirFor, type StateDir } from './up/state-dir.ts';

/** The audit trail of one platform, opened for `rampart audit verify|search|tail`. */
export interface OpenedTrail {
  readonly store: Store;
  /** Where it is, for messages: a file, or a PostgreSQL schema. */
  readonly location: string;
  readonly state: StateDir;
}

/** Why the trail could not be opened, in words for the terminal (exit status 2). */
export class TrailUnavailableError extends Error {
  override readonly name = 'TrailUnavailableError';
}

/**
 * Loads `configFile` and opens its audit trail where `storage.sql` keeps it: the embedded file
 * under `.rampart/audit/`, or the `audit` schema on PostgreSQL (role `rampart_audit`).
 *
 * @example
 * const { store, location } = await openAuditTrail('examples/shop/rampart.yaml');
 */
export async function openAuditTrail(configFile: string): Promise<OpenedTrail> {
  const loaded = await loadConfig(configFile);
  if (!loaded.ok) {
    throw new TrailUnavailableError(loaded.problems.map((problem) => formatProblem(problem)).join('\n'));
  }
  const state = stateDirFor(loaded.file);
  try {
    const opened = await openAuditStoreForOperator(
      loaded.config,
      state.componentDir('audit'),
      dirname(loaded.file),
    );
    return { ...opened, state };
  } catch (error) {
    if (error instanceof AuditTrailMissingError) throw new TrailUnavailableError(error.message);
    throw error;
  }
}
