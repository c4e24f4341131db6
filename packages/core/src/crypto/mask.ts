const STARS = '************';

/**
 * How a secret is shown: the first 3 and last 4 characters around a fixed run of
 * stars (so the length does not leak), or only stars when 12 characters or fewer.
 */
export function maskSecret(value: string): string {
  if (value.length <= 12) return STARS;
  return `${value.slice(0, 3)}${STARS}${value.slice(-4)}`;
}
