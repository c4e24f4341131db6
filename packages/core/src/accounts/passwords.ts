import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { badRequest } from '../errors.ts';

/** Longest password accepted on any path: one request must not cost unbounded normalising and hashing. */
export const MAX_PASSWORD_LENGTH = 1024;
/** The message every path gives for a password over the limit. */
export const PASSWORD_TOO_LONG = `Password must be at most ${MAX_PASSWORD_LENGTH} characters`;

// scrypt parameters (N=2^15, r=8, p=1): OWASP's floor for interactive logins.
// They are written into every hash, so raising them later keeps old hashes valid.
const COST = 32768;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;
const KEY_LENGTH = 64;
const SALT_BYTES = 16;
// 128 * N * r bytes are needed; leave headroom above Node's 32 MiB default.
const MAX_MEMORY = 64 * 1024 * 1024;

function derive(
  password: string,
  salt: Buffer,
  cost: number,
  blockSize: number,
  parallelism: number,
  length: number,
) {
  // Callers check first and name the field; this is the last guard for a path that forgot to.
  if (password.length > MAX_PASSWORD_LENGTH) {
    return Promise.reject(badRequest(`password: ${PASSWORD_TOO_LONG}`, { password: [PASSWORD_TOO_LONG] }));
  }
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(
      password.normalize('NFKC'),
      salt,
      length,
      { N: cost, r: blockSize, p: parallelism, maxmem: MAX_MEMORY },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

/** A self-describing hash: `scrypt$N$r$p$salt$key` (salt and key in base64). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, COST, BLOCK_SIZE, PARALLELISM, KEY_LENGTH);
  return ['scrypt', COST, BLOCK_SIZE, PARALLELISM, salt.toString('base64'), key.toString('base64')].join('$');
}

/** True when `password` matches `stored`; compares in constant time. A malformed hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, cost, blockSize, parallelism, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !cost || !blockSize || !parallelism || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await derive(
    password,
    Buffer.from(salt, 'base64'),
    Number(cost),
    Number(blockSize),
    Number(parallelism),
    expected.length,
  );
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

let dummyHash: Promise<string> | undefined;

/**
 * A hash of a random password, made once: an unknown email is verified against
 * it so that the answer takes as long as for a known one.
 */
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(24).toString('base64'));
  return dummyHash;
}
