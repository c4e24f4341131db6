import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** A 256-bit master key and its public fingerprint (stored next to what it wrapped). */
export interface MasterKey {
  id: string;
  key: Buffer;
}

/**
 * The master keys this process holds, and where they come from; `file` keys can be rotated in
 * place by the CLI. `current` is `SWITCHBOARD_MASTER_KEY` or `master.key`, the key a new
 * database starts with; once a database exists, its `meta` row names the current key, which
 * may be any of the keys held here.
 */
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

/** Name of the copy of one key kept beside `master.key`: `master.key.<id>`. */
const keyCopyPattern = /^master\.key\.([0-9a-f]{16})$/;
/** Names earlier versions used: the key before the last rotation, and a rotation's staged key. */
const LEGACY_SUFFIXES = ['.previous', '.next'];

function readKeyFile(file: string): MasterKey {
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) {
    throw new MasterKeyError(
      `${file} is readable by other users (mode ${mode.toString(8)}); run chmod 600 on it`,
    );
  }
  return parseMasterKey(readFileSync(file, 'utf8'), file);
}

/** Every key file beside `path` other than `path` itself: copies by id, and legacy names. */
export function otherKeyFiles(path: string): string[] {
  const folder = dirname(path);
  const names = readdirSync(folder).filter(
    (name) =>
      keyCopyPattern.test(name) || LEGACY_SUFFIXES.some((suffix) => name === `${basename(path)}${suffix}`),
  );
  return names.sort().map((name) => join(folder, name));
}

function readKeyFiles(path: string): MasterKeySource {
  const current = readKeyFile(path);
  const previous: MasterKey[] = [];
  const seen = new Set([current.id]);
  for (const file of otherKeyFiles(path)) {
    let key: MasterKey;
    try {
      key = readKeyFile(file);
    } catch (error) {
      // A rotation in another process may retire a file between the listing and the read.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    if (seen.has(key.id)) continue;
    seen.add(key.id);
    previous.push(key);
  }
  return { kind: 'file', path, current, previous };
}

/** Re-reads key files (after a rotation by another process); env keys do not change while running. */
export function reloadMasterKey(source: MasterKeySource): MasterKeySource {
  return source.kind === 'file' && existsSync(source.path) ? readKeyFiles(source.path) : source;
}

/** Writes `text` to `file` durably: a temporary file, fsync, rename, fsync of the folder. */
function writeDurably(file: string, text: string): void {
  const temporary = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  const descriptor = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(descriptor, text);
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
  renameSync(temporary, file);
  syncFolder(dirname(file));
}

function syncFolder(folder: string): void {
  const descriptor = openSync(folder, 'r');
  try {
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
}

/**
 * The key files of a data dir. Every key rows may refer to has its own copy,
 * `master.key.<id>`, written (and fsync'd) before any row refers to it; `master.key` holds the
 * current one. Callers hold the database's rotation lock, so two rotations never interleave.
 */
export const keyFiles = {
  /** Makes sure `master.key.<id>` holds `key`, durably, before a row may refer to it. */
  keep(path: string, key: MasterKey): void {
    const file = join(dirname(path), `master.key.${key.id}`);
    if (existsSync(file)) return;
    writeDurably(file, `${key.key.toString('base64')}\n`);
  },
  /** Makes `master.key` hold `key` (atomically: readers see the old or the new file); returns the id it replaced. */
  promote(path: string, key: MasterKey): string | null {
    const replaced = existsSync(path) ? readKeyFile(path).id : null;
    if (replaced !== key.id) writeDurably(path, `${key.key.toString('base64')}\n`);
    return replaced === key.id ? null : replaced;
  },
  /**
   * Deletes every other key file whose key is not in `needed`, after making sure each needed
   * key has its own copy. Returns the ids of the keys whose files were deleted.
   */
  retire(path: string, needed: readonly MasterKey[]): string[] {
    for (const key of needed) keyFiles.keep(path, key);
    const neededIds = new Set(needed.map((key) => key.id));
    const retired = new Set<string>();
    for (const file of otherKeyFiles(path)) {
      let id: string;
      try {
        id = readKeyFile(file).id;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      const isCopy = keyCopyPattern.test(basename(file));
      if (isCopy && neededIds.has(id)) continue;
      rmSync(file, { force: true });
      if (!neededIds.has(id)) retired.add(id);
    }
    // Temporary files of a write that was interrupted (they never held the only copy of a key).
    const folder = dirname(path);
    for (const name of readdirSync(folder)) {
      if (/^master\.key(\.[0-9a-f]{16})?\.tmp-[0-9a-f]{12}$/.test(name))
        rmSync(join(folder, name), { force: true });
    }
    syncFolder(folder);
    return [...retired];
  },
};
