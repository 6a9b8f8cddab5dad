/**
 * Shannon entropy of a string in bits per character, over the characters it contains: 0 for
 * `aaaa`, 2 for `abcd`, about 3.7 for 32 random hex digits and 4.5–5 for 32 random base64 ones.
 * Rules compare it with their own minimum (hex tops out at 4 bits, base64 at 6).
 *
 * @example
 * shannonEntropy('aaaa'); // 0
 * shannonEntropy('ab12'); // 2
 */
export function shannonEntropy(value: string): number {
  if (value.length === 0) return 0;
  const counts = new Map<string, number>();
  let length = 0;
  for (const char of value) {
    counts.set(char, (counts.get(char) ?? 0) + 1);
    length += 1;
  }
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

/** True when the value is only hexadecimal digits (its entropy cannot exceed 4 bits a character). */
export function isHex(value: string): boolean {
  return /^[0-9a-fA-F]+$/u.test(value);
}
