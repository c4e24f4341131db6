import {
  closeSync,
  close as closeFile,
  fsync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { randomBase32 } from '../ids.ts';

/** Options of the usage journal. */
export interface UsageJournalOptions {
  /** How often appended lines are fsync'd (default 200 ms): the most a power cut can take. */
  fsyncIntervalMs?: number;
  /** Where write and fsync failures go; the records stay queued for the database either way. */
  onError: (error: unknown) => void;
}

const SEGMENT = /^(\d+)-([a-z0-9]+)-(\d+)\.jsonl$/;

/**
 * Append-only local journal of usage rows that are not yet in the database, so a crash between
 * answering a call and the next batch insert loses nothing: a later start replays it (inserts
 * are idempotent by usage id). The lines appended in one turn of the event loop are written
 * together by one `write` in its check phase, and the gateway sends an answer's last bytes only
 * once its line is written (`afterWrite`), so an acknowledged call is on disk, at least in the
 * page cache; an fsync runs on a timer off the request path. Each process writes its own segment files,
 * `<pid>-<instance>-<n>.jsonl`; a flush seals the current segment, and once the rows it covers are
 * in the database its files are deleted.
 */
export class UsageJournal {
  readonly #dir: string;
  readonly #prefix: string;
  readonly #onError: (error: unknown) => void;
  readonly #fsyncTimer: NodeJS.Timeout;
  #segment = 0;
  #fd: number | null = null;
  #file: string | null = null;
  #dirty = false;
  readonly #sealed: string[] = [];
  /** Lines appended in this turn of the event loop, written together in its check phase. */
  #pending: string[] = [];
  /** What waits for the pending lines to be written (the answers of their calls). */
  #afterWrite: (() => void)[] = [];

  constructor(dir: string, options: UsageJournalOptions) {
    this.#dir = dir;
    this.#prefix = `${process.pid}-${randomBase32(8)}`;
    this.#onError = options.onError;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.#fsyncTimer = setInterval(() => this.#sync(), options.fsyncIntervalMs ?? 200);
    this.#fsyncTimer.unref();
  }

  /** The journal folder. */
  get dir(): string {
    return this.#dir;
  }

  /**
   * Queues one row; the rows of a turn of the event loop are written together at its end, by one
   * small `write` to the page cache, never waiting for the disk. A failed write is reported; the
   * row stays queued for the database either way.
   */
  append(row: readonly unknown[]): void {
    if (this.#pending.push(JSON.stringify(row)) === 1) setImmediate(this.#writePending);
  }

  /** Runs `callback` once every row appended so far is written: now when none waits. */
  afterWrite(callback: () => void): void {
    if (this.#pending.length === 0) callback();
    else this.#afterWrite.push(callback);
  }

  /** Writes the pending rows, then runs what waited for them (whether or not the write failed). */
  readonly #writePending = (): void => {
    if (this.#pending.length === 0) return;
    const bytes = Buffer.from(`${this.#pending.join('\n')}\n`, 'utf8');
    const callbacks = this.#afterWrite;
    this.#pending = [];
    this.#afterWrite = [];
    try {
      if (this.#fd === null) {
        this.#file = join(this.#dir, `${this.#prefix}-${this.#segment++}.jsonl`);
        this.#fd = openSync(this.#file, 'a', 0o600);
      }
      let written = 0;
      while (written < bytes.length) written += writeSync(this.#fd, bytes, written);
      this.#dirty = true;
    } catch (error) {
      this.#onError(error);
    }
    for (const callback of callbacks) {
      try {
        callback();
      } catch (error) {
        this.#onError(error);
      }
    }
  };

  /**
   * Ends the current segment, so rows appended from now on go to a new one, and returns every
   * sealed segment not yet released: the caller releases them once their rows are in the database.
   */
  seal(): string[] {
    // The rows about to be inserted include the pending ones: they belong to this segment.
    this.#writePending();
    const fd = this.#fd;
    if (fd !== null && this.#file) {
      this.#sealed.push(this.#file);
      this.#fd = null;
      this.#file = null;
      this.#dirty = false;
      fsync(fd, () => closeFile(fd, () => undefined));
    }
    return [...this.#sealed];
  }

  /** Deletes sealed segments whose every row is in the database. */
  release(files: readonly string[]): void {
    for (const file of files) {
      // unlink, not rmSync: rmSync takes rimraf's path (an lstat and its retry logic) for a plain file.
      try {
        unlinkSync(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      const index = this.#sealed.indexOf(file);
      if (index >= 0) this.#sealed.splice(index, 1);
    }
  }

  /**
   * Segment files of processes that are gone (a crash, or an earlier run): theirs to replay.
   * Files of a live process are left to it; a pid reused since is only a delay, never a loss.
   */
  orphans(): string[] {
    const files: string[] = [];
    for (const name of readdirSync(this.#dir)) {
      const match = SEGMENT.exec(name);
      if (!match || name.startsWith(`${this.#prefix}-`)) continue;
      const pid = Number(match[1]);
      if (pid !== process.pid && isAlive(pid)) continue;
      files.push(join(this.#dir, name));
    }
    return files.sort();
  }

  /** Stops the fsync timer and closes the current segment (after the last flush released it). */
  close(): void {
    this.#writePending();
    clearInterval(this.#fsyncTimer);
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }

  #sync(): void {
    if (!this.#dirty || this.#fd === null) return;
    this.#dirty = false;
    fsync(this.#fd, (error) => {
      if (error && error.code !== 'EBADF') this.#onError(error);
    });
  }
}

/** Reads a segment: its rows, and how many lines could not be read (a torn last line after a power cut). */
export function readJournalSegment(file: string): { rows: unknown[][]; malformed: number } {
  const rows: unknown[][] = [];
  let malformed = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      const row: unknown = JSON.parse(line);
      if (Array.isArray(row)) rows.push(row);
      else malformed++;
    } catch {
      malformed++;
    }
  }
  return { rows, malformed };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
