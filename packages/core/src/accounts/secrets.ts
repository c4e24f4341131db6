import { createHash } from 'node:crypto';
import { randomBase32 } from '../ids.ts';

/** Prefixes that say what a bearer secret is: personal access token, API key, invitation, session. */
export type SecretKind = 'sbp_' | 'sbk_' | 'sbi_' | 'sbs_';

// 40 base32 characters: 200 bits from the OS CSPRNG.
const RANDOM_LENGTH = 40;
const SECRET_PATTERN = /^sb[pkis]_[0-9a-z]{40}$/;
// How much of a secret a list shows: enough to tell two apart, far too little to guess the rest.
const VISIBLE_PREFIX_LENGTH = 8;

/** A new secret with its lookup hash and its displayable prefix. */
export interface NewSecret {
  secret: string;
  hash: string;
  prefix: string;
}

/** SHA-256 hex of a secret: what is stored and looked up (the secrets are random, so no salt is needed). */
export const hashSecret = (secret: string): string =>
  createHash('sha256').update(secret, 'utf8').digest('hex');

/** Generates a secret of the given kind. */
export function newSecret(kind: SecretKind): NewSecret {
  const secret = `${kind}${randomBase32(RANDOM_LENGTH)}`;
  return { secret, hash: hashSecret(secret), prefix: secret.slice(0, VISIBLE_PREFIX_LENGTH) };
}

/** True when `value` has the shape of a secret of `kind` (checked before any lookup). */
export function looksLikeSecret(kind: SecretKind, value: string): boolean {
  return typeof value === 'string' && value.startsWith(kind) && SECRET_PATTERN.test(value);
}

/** The prefix as shown in lists: `sbp_ab12…`. */
export const displayPrefix = (prefix: string): string => `${prefix}…`;
