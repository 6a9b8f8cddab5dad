import type { Provider } from 'oidc-provider';

/** oidc-provider's interaction record (what `interactionDetails` returns). */
export type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

/** The first factor a sign-in used. */
export type FirstFactor = 'pwd' | 'passkey';
/** The second factor a sign-in used. */
export type SecondFactor = 'otp' | 'recovery_code' | 'passkey';

/**
 * How far one sign-in has got. It lives in the interaction record itself (`result.rampart`), in
 * the shared store, so any replica can continue the flow; the browser holds only the interaction's
 * signed cookie. Nothing in it ever comes from the client: each field is written by the server
 * after it verified the step it stands for.
 */
export interface LoginProgress {
  /** The account whose first factor was verified. */
  readonly userId?: string;
  readonly first?: FirstFactor;
  /** Set once a second factor was verified for `userId`. */
  readonly second?: SecondFactor;
  /** The passkey ceremony this interaction started (its answer is accepted only here). */
  readonly passkeyChallengeId?: string;
}

const KEY = 'rampart';
const FIRST: ReadonlySet<string> = new Set<FirstFactor>(['pwd', 'passkey']);
const SECOND: ReadonlySet<string> = new Set<SecondFactor>(['otp', 'recovery_code', 'passkey']);

/** Reads the progress stored in the interaction; anything malformed counts as no progress. */
export function readProgress(interaction: Interaction): LoginProgress {
  const stored: unknown = interaction.result?.[KEY];
  if (typeof stored !== 'object' || stored === null) return {};
  const raw = stored as Record<string, unknown>;
  const userId = typeof raw['userId'] === 'string' ? raw['userId'] : undefined;
  const first =
    typeof raw['first'] === 'string' && FIRST.has(raw['first']) ? (raw['first'] as FirstFactor) : undefined;
  const second =
    typeof raw['second'] === 'string' && SECOND.has(raw['second'])
      ? (raw['second'] as SecondFactor)
      : undefined;
  const challenge = typeof raw['passkeyChallengeId'] === 'string' ? raw['passkeyChallengeId'] : undefined;
  return {
    ...(userId !== undefined && first !== undefined ? { userId, first } : {}),
    ...(userId !== undefined && first !== undefined && second !== undefined ? { second } : {}),
    ...(challenge === undefined ? {} : { passkeyChallengeId: challenge }),
  };
}

/**
 * Stores `progress` in the interaction (replacing what was there), keeping its expiry. Returns
 * false if the interaction has expired meanwhile.
 */
export async function saveProgress(interaction: Interaction, progress: LoginProgress): Promise<boolean> {
  const ttl = interaction.exp - Math.floor(Date.now() / 1000);
  if (ttl <= 0) return false;
  interaction.result = { ...interaction.result, [KEY]: progress };
  await interaction.save(ttl);
  return true;
}
