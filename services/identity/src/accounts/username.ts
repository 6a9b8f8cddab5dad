/** What a stored username looks like after {@link normalizeUsername}: 1–128 characters, ASCII only. */
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._@-]{0,127}$/;

/**
 * The one spelling of a username that the store keeps and every lookup and counter uses:
 * Unicode NFKC (so full-width `ａｌｉｃｅ` and the Kelvin sign `K` fold to ASCII), then lower case.
 * It does not trim or otherwise repair input: a name that does not match {@link USERNAME_PATTERN}
 * afterwards is refused, not guessed at.
 *
 * @example
 * normalizeUsername('Ａlice'); // 'alice'
 */
export function normalizeUsername(raw: string): string {
  return raw.normalize('NFKC').toLowerCase();
}

/** Whether `raw` normalizes to a valid username. */
export function isValidUsername(raw: string): boolean {
  return USERNAME_PATTERN.test(normalizeUsername(raw));
}
