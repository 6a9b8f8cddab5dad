import type { RampartConfig } from '@rampart/config';

/** How long a component may take to answer a config message before it counts as refusing it. */
export const CONFIG_ANSWER_TIMEOUT_MS = 10_000;

/** A component's answer to one config revision. */
export type ConfigAnswer = { readonly applied: true } | { readonly applied: false; readonly reason: string };

/** A running component that reloads its configuration in place and answers whether it applied it. */
export interface ConfigReceiver {
  readonly name: string;
  /** Sends the revision; resolves with the answer, or a refusal once `timeoutMs` passed without one. */
  applyConfig(revision: number, config: RampartConfig, timeoutMs: number): Promise<ConfigAnswer>;
}

/** A component that did not apply a revision, and why (its `config.rejected` reason, or the timeout). */
export interface Refusal {
  readonly name: string;
  readonly reason: string;
}

/**
 * Sends one revision to every receiver at once and waits for every answer: the refusals, in the
 * receivers' order (none when all applied it).
 */
export async function rollOut(
  receivers: readonly ConfigReceiver[],
  revision: number,
  config: RampartConfig,
  timeoutMs = CONFIG_ANSWER_TIMEOUT_MS,
): Promise<Refusal[]> {
  const refusals = await Promise.all(
    receivers.map(async (receiver): Promise<Refusal | null> => {
      const answer = await receiver
        .applyConfig(revision, config, timeoutMs)
        .catch((error: unknown): ConfigAnswer => ({
          applied: false,
          reason: error instanceof Error ? error.message : 'no answer',
        }));
      return answer.applied ? null : { name: receiver.name, reason: answer.reason };
    }),
  );
  return refusals.filter((refusal) => refusal !== null);
}

/** What became of an edit: applied everywhere, or refused and every component back on the previous config. */
export type EditOutcome =
  | { readonly applied: true; readonly revision: number; readonly restarted: readonly string[] }
  | {
      readonly applied: false;
      /** The revision that carries the previous config back to every component (revisions only grow). */
      readonly revision: number;
      readonly refusals: readonly Refusal[];
      /** Components that did not confirm the rollback either: their state is unknown. */
      readonly rollbackRefusals: readonly Refusal[];
    };

/** The terminal's account of an edit that was not applied: who refused it, why, and where things stand. */
export function describeRefusedEdit(file: string, outcome: Extract<EditOutcome, { applied: false }>): string {
  const who = outcome.rollbackRefusals.length === 0 ? 'every component is' : 'the others are';
  const lines = [
    `✗ edit to ${file} refused by ${outcome.refusals.map((r) => r.name).join(', ')}; ${who} back on the previous config (revision ${outcome.revision}).`,
    ...outcome.refusals.map((r) => `    ${r.name.padEnd(12)} ${r.reason}`),
    ...outcome.rollbackRefusals.map(
      (r) => `  ! ${r.name.padEnd(12)} did not confirm the rollback: ${r.reason}; restart rampart up`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
