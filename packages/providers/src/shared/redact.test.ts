import { describe, expect, it } from 'vitest';
import { redact } from './redact.ts';

// Obviously fake keys, 44 characters like a real one.
const KEY = 'sk-test-fake-echo-abcdefghijklmnopqrstuvwxyz';
const OTHER = 'sk-test-fake-proj-ZYXWVUTSRQPONMLKJIHGFEDCBA';

/**
 * Every piece of 8 letters and digits of `secret` that `text` still holds, in any case (the
 * punctuation of a key, like the dashes of `sk-test-`, carries no secret and is not counted).
 */
function pieces(text: string, secret: string): string[] {
  const bare = (value: string) => value.toLowerCase().replace(/[^a-z0-9]/g, '');
  const found: string[] = [];
  for (let i = 0; i + 8 <= bare(secret).length; i++) {
    const piece = bare(secret).slice(i, i + 8);
    if (bare(text).includes(piece)) found.push(piece);
  }
  return found;
}

const base64 = (text: string) => Buffer.from(text).toString('base64');
const base64url = (text: string) => Buffer.from(text).toString('base64url');

describe('redact', () => {
  it('removes the whole key', () => {
    expect(redact(`Incorrect API key provided: ${KEY}.`, [KEY])).toBe(
      'Incorrect API key provided: [redacted].',
    );
  });

  it('removes any piece of 8 letters and digits of the key: its start, its middle, its end', () => {
    for (const piece of [KEY.slice(0, 10), KEY.slice(0, 21), KEY.slice(17, 29), KEY.slice(-8)]) {
      const out = redact(`the key ${piece} is not valid`, [KEY]);
      expect(pieces(out, KEY)).toEqual([]);
      expect(out).toContain('is not valid');
    }
  });

  it('leaves pieces shorter than 8 characters and unrelated text alone', () => {
    const text = `key prefix sk-test and ${OTHER.slice(-12)} and abcdefg`;
    expect(redact(text, [KEY])).toBe(text);
  });

  it('removes the key upper-cased and in mixed case', () => {
    const out = redact(
      `KEY ${KEY.toUpperCase()} / ${KEY.slice(0, 20).toUpperCase()}x / sK-TeSt-FaKe-EcHo-AbCd`,
      [KEY],
    );
    expect(pieces(out, KEY)).toEqual([]);
  });

  it('removes the key base64-encoded, at every byte alignment and in the URL-safe alphabet', () => {
    for (const prefix of ['', ':', 'u:', 'user:']) {
      for (const encode of [base64, base64url]) {
        const encoded = encode(`${prefix}${KEY}`);
        const out = redact(`Authorization: Basic ${encoded} was refused`, [KEY]);
        // Nothing left that decodes back to 8 characters of the key.
        const kept = out.match(/[A-Za-z0-9+/_-]{8,}/g) ?? [];
        for (const run of kept) {
          for (let shift = 0; shift < 4; shift++) {
            const decoded = Buffer.from(run.slice(shift), 'base64').toString('latin1');
            expect(pieces(decoded, KEY)).toEqual([]);
          }
        }
        expect(out).toContain('was refused');
      }
    }
  });

  it('removes a base64 piece cut from a longer encoding', () => {
    const encoded = base64(`Bearer ${KEY}`);
    const out = redact(`header ${encoded.slice(10, 40)} end`, [KEY]);
    expect(out).not.toContain(encoded.slice(10, 40));
    expect(out).toMatch(/^header .*end$/);
  });

  it('removes the key spelled out with separators between its characters', () => {
    for (const separator of [' ', '  ', '-', '.', ' \n', ', ']) {
      const spaced = KEY.split('').join(separator);
      const out = redact(`echo: ${spaced} (done)`, [KEY]);
      expect(pieces(out, KEY)).toEqual([]);
      expect(out).toContain('(done)');
    }
  });

  it('removes every secret of several, and leaves text without secrets unchanged', () => {
    const out = redact(`a ${KEY} b ${OTHER.toLowerCase()} c`, [KEY, OTHER]);
    expect(pieces(out, KEY)).toEqual([]);
    expect(pieces(out, OTHER)).toEqual([]);
    expect(redact('Rate limit reached for requests', [KEY, OTHER])).toBe('Rate limit reached for requests');
  });

  it('removes a short secret only whole', () => {
    expect(redact('token abcd1234x and abcd123', ['abcd1234x'])).toBe('token [redacted] and abcd123');
  });
});
