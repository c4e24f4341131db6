import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A 256-bit master key and its public fingerprint (stored next to what it wrapped). */
export interface MasterKey {
  id: string;
  key: Buffer;
}

/** Where the master key comes from; `file` keys can be rotated in place by the CLI. */
export type MasterKeySource =
  | { kind: 'env'; current: MasterKey; previous: MasterKey[] }
  | { kind: 'file'; path: string; current: MasterKey; previous: MasterKey[] };

export class MasterKeyError extends Error {
  override readonly name = 'MasterKeyError';
}

export function masterKeyId(key: Buffer): string {
  return createHash('sha256').update('switchboard master key\0').update(key).digest('hex').slice(0, 16);
}

/** Parses a key given as base64 (44 characters) or hex (64 characters). */
export function parseMasterKey(text: string, where: string): MasterKey {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, 'hex')
    : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) {
    throw new MasterKeyError(
      `${where} must be 32 random bytes, base64 or hex encoded (got ${key.length} bytes)`,
    );
  }
  return { id: masterKeyId(key), key };
}

export function generateMasterKey(): MasterKey {
  const key = randomBytes(32);
  return { id: masterKeyId(key), key };
}

export const masterKeyFilePath = (dataDir: string) => join(dataDir, 'master.key');

/** Options for loading the master key. */
export interface LoadMasterKeyOptions {
  /** `SWITCHBOARD_MASTER_KEY`, when set. */
  envKey?: string | undefined;
  /** `SWITCHBOARD_MASTER_KEY_PREVIOUS`: comma-separated keys still accepted for unwrapping after a rotation. */
  envPreviousKeys?: string | undefined;
  dataDir: string;
  /** Whether a missing key file may be created: only when no secret was ever encrypted. */
  mayCreate: boolean;
}

/**
 * Loads the master key from the environment, or from `DATA_DIR/master.key`,
 * creating the file (mode 0600) only when allowed. Never overwrites a file.
 */
export function loadMasterKey(options: LoadMasterKeyOptions): MasterKeySource {
  if (options.envKey) {
    const previous = (options.envPreviousKeys ?? '')
      .split(',')
      .filter((text) => text.trim())
      .map((text) => parseMasterKey(text, 'SWITCHBOARD_MASTER_KEY_PREVIOUS'));
    return { kind: 'env', current: parseMasterKey(options.envKey, 'SWITCHBOARD_MASTER_KEY'), previous };
  }
  const path = masterKeyFilePath(options.dataDir);
  if (!existsSync(path)) {
    if (!options.mayCreate) {
      throw new MasterKeyError(
        `No master key: ${path} does not exist and SWITCHBOARD_MASTER_KEY is not set, but the database holds encrypted secrets. Restore the key file or set SWITCHBOARD_MASTER_KEY.`,
      );
    }
    mkdirSync(options.dataDir, { recursive: true });
    const created = generateMasterKey();
    // `wx` fails if the file appeared meanwhile: an existing key is never overwritten.
    writeFileSync(path, `${created.key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  }
  return readKeyFiles(path);
}

function readKeyFiles(path: string): MasterKeySource {
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) {
    throw new MasterKeyError(
      `${path} is readable by other users (mode ${mode.toString(8)}); run chmod 600 on it`,
    );
  }
  const current = parseMasterKey(readFileSync(path, 'utf8'), path);
  // `.next` exists only if a rotation stopped between its commit and its rename: it may wrap data keys.
  const previous = [`${path}.previous`, `${path}.next`]
    .filter((candidate) => existsSync(candidate))
    .map((candidate) => parseMasterKey(readFileSync(candidate, 'utf8'), candidate));
  return { kind: 'file', path, current, previous };
}

/** Re-reads key files (after a rotation by another process); env keys do not change while running. */
export function reloadMasterKey(source: MasterKeySource): MasterKeySource {
  return source.kind === 'file' && existsSync(source.path) ? readKeyFiles(source.path) : source;
}

/**
 * Steps of a file-based rotation, so the caller can re-wrap in between:
 * the new key is written beside the current one first, and becomes current only after the commit.
 */
export const keyFileRotation = {
  stage(path: string, key: MasterKey): void {
    writeFileSync(`${path}.next`, `${key.key.toString('base64')}\n`, { mode: 0o600, flag: 'w' });
  },
  commit(path: string): void {
    renameSync(path, `${path}.previous`);
    renameSync(`${path}.next`, path);
  },
  abort(path: string): void {
    rmSync(`${path}.next`, { force: true });
  },
};
