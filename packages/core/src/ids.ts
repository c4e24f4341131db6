import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

/** Random base32 text of `length` characters (5 bits each, from the OS CSPRNG). */
export function randomBase32(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[(bytes[i] as number) & 31];
  return out;
}

/** Identifier prefixes: an id says what it names, which helps in logs and support. */
export type IdPrefix =
  | 'usr'
  | 'ses'
  | 'pat'
  | 'ws'
  | 'mem'
  | 'inv'
  | 'key'
  | 'aud'
  | 'prv'
  | 'crd'
  | 'mdl'
  | 'use';

/** A new id such as `ws_8k2m...` (100 bits of randomness). */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBase32(20)}`;
}

/** Current time as ISO-8601 text: stored as text so both engines sort and compare it alike. */
export const nowIso = (): string => new Date().toISOString();
