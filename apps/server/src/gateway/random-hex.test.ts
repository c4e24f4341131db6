import { describe, expect, it } from 'vitest';
import { randomHex } from './random-hex.ts';

describe('randomHex', () => {
  it('gives hex of the asked length, never the same bytes twice across pool refills', () => {
    const seen = new Set<string>();
    // 24 bytes each: about six refills of the 4096-byte pool, including a partial one at the end.
    for (let index = 0; index < 1000; index++) {
      const text = randomHex(24);
      expect(text).toMatch(/^[0-9a-f]{48}$/);
      seen.add(text);
    }
    expect(seen.size).toBe(1000);
    expect(randomHex(12)).toMatch(/^[0-9a-f]{24}$/);
  });
});
