import type { Core } from '../core.ts';
import { CoreError } from '../errors.ts';

/** Tuning and clock of the login throttle; tests inject `now` and `sleep`. */
export interface LoginThrottleOptions {
  /** Failures per key that cost nothing (typos happen). */
  freeFailures: number;
  /** Delay after the first failure beyond the free ones; doubles with each further failure. */
  baseDelayMs: number;
  /** The delay never grows beyond this, so a locked-out user still gets an answer. */
  maxDelayMs: number;
  /** Failures older than this are forgotten. */
  windowMs: number;
  /** Keys remembered at most; the oldest are dropped, so memory stays bounded under a spray of emails. */
  maxKeys: number;
  /** Attempts that may wait behind the one in flight for the same key; more are refused at once. */
  maxWaiting: number;
  /** Password checks (scrypt) running at once, over all keys. */
  maxConcurrentChecks: number;
  /** Password checks waiting for a turn; more are refused at once, so nobody waits behind a flood. */
  maxQueuedChecks: number;
  now: () => number;
  sleep: (milliseconds: number) => Promise<void>;
}

const DEFAULTS: LoginThrottleOptions = {
  freeFailures: 3,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  windowMs: 15 * 60_000,
  maxKeys: 10_000,
  maxWaiting: 2,
  // libuv runs four scrypt calls at once: two leave room for the rest of the server's work.
  maxConcurrentChecks: 2,
  maxQueuedChecks: 32,
  now: () => Date.now(),
  sleep: (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)),
};

interface FailureRecord {
  failures: number;
  lastFailureAt: number;
}

const tooManyAttempts = (message: string) => new CoreError('TOO_MANY_REQUESTS', message);

/**
 * Slows down repeated failed logins per email and per client address, in memory.
 * A delay rather than a lock-out: an attacker cannot lock a real user out, but
 * guessing becomes slow. Parallel guesses gain nothing: one attempt per key is in flight,
 * a few wait behind it, and its failure is counted before the password is checked, so the
 * next attempt already pays for it. Password checks over all keys are bounded too, so a flood
 * from many addresses is refused rather than queued in front of a real user.
 */
export class LoginThrottle {
  readonly options: LoginThrottleOptions;
  // Insertion order doubles as age order: a failure re-inserts its key at the end.
  readonly #records = new Map<string, FailureRecord>();
  /** Per key, the attempts in line: the first is in flight. */
  readonly #lines = new Map<string, (() => void)[]>();
  #checksRunning = 0;
  readonly #checksWaiting: (() => void)[] = [];

  constructor(options: Partial<LoginThrottleOptions> = {}) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** The delay to impose before checking a login for these keys (the largest of them). */
  delayFor(keys: string[]): number {
    let delay = 0;
    for (const key of keys) delay = Math.max(delay, this.#delayOf(this.#current(key)?.failures ?? 0));
    return delay;
  }

  /** Waits the delay for these keys, through the injected sleep. */
  async wait(keys: string[]): Promise<number> {
    const delay = this.delayFor(keys);
    if (delay > 0) await this.options.sleep(delay);
    return delay;
  }

  /** Counts one failure against every key. */
  recordFailure(keys: string[]): void {
    const now = this.options.now();
    for (const key of keys) {
      const failures = (this.#current(key)?.failures ?? 0) + 1;
      this.#records.delete(key);
      this.#records.set(key, { failures, lastFailureAt: now });
    }
    while (this.#records.size > this.options.maxKeys) {
      const oldest = this.#records.keys().next().value;
      if (oldest === undefined) break;
      this.#records.delete(oldest);
    }
  }

  /**
   * Runs one login attempt for `keys`: waits its turn per key (refused when too many wait),
   * waits the delay, waits for one of the bounded password-check slots (refused when too many
   * wait), counts a failure, then runs `check` (the password check). A check that returns true
   * takes its failure back.
   */
  async attempt(keys: string[], check: () => Promise<boolean>): Promise<boolean> {
    const turns = this.#queue(keys);
    try {
      await Promise.all(turns);
      await this.wait(keys);
      // A refusal here (too many checks at once) is not a guess: nothing is counted for it.
      await this.#checkSlot();
      try {
        this.recordFailure(keys);
        const matched = await check();
        if (matched) this.#forgiveOne(keys);
        return matched;
      } finally {
        this.#releaseCheckSlot();
      }
    } finally {
      this.#leave(keys);
    }
  }

  /** Forgets the failures of these keys (after a successful login). */
  reset(keys: string[]): void {
    for (const key of keys) this.#records.delete(key);
  }

  /** Joins every key's line at once (so all lines agree on the order), or refuses when one is full. */
  #queue(keys: string[]): Promise<void>[] {
    for (const key of keys) {
      if ((this.#lines.get(key)?.length ?? 0) > this.options.maxWaiting) {
        throw tooManyAttempts(
          'Another sign-in for this email or from this address is in progress; try again shortly',
        );
      }
    }
    return keys.map((key) => {
      const line = this.#lines.get(key);
      if (!line) {
        this.#lines.set(key, [() => undefined]);
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => line.push(resolve));
    });
  }

  #leave(keys: string[]): void {
    for (const key of keys) {
      const line = this.#lines.get(key);
      if (!line) continue;
      line.shift();
      const next = line[0];
      if (next) next();
      else this.#lines.delete(key);
    }
  }

  /** Waits for a password check slot (handed over by the check that finishes), or refuses. */
  async #checkSlot(): Promise<void> {
    if (this.#checksRunning < this.options.maxConcurrentChecks) {
      this.#checksRunning++;
      return;
    }
    if (this.#checksWaiting.length >= this.options.maxQueuedChecks) {
      throw tooManyAttempts('Too many sign-ins at once; try again shortly');
    }
    await new Promise<void>((resolve) => this.#checksWaiting.push(resolve));
  }

  #releaseCheckSlot(): void {
    // The slot goes straight to the next in line, so the count never dips in between.
    const next = this.#checksWaiting.shift();
    if (next) next();
    else this.#checksRunning--;
  }

  /** Takes back the failure counted before a check that then succeeded. */
  #forgiveOne(keys: string[]): void {
    for (const key of keys) {
      const record = this.#records.get(key);
      if (!record) continue;
      if (record.failures <= 1) this.#records.delete(key);
      else record.failures--;
    }
  }

  #current(key: string): FailureRecord | undefined {
    const record = this.#records.get(key);
    if (record && this.options.now() - record.lastFailureAt > this.options.windowMs) {
      this.#records.delete(key);
      return undefined;
    }
    return record;
  }

  #delayOf(failures: number): number {
    const over = failures - this.options.freeFailures;
    if (over <= 0) return 0;
    // Exponent capped so the arithmetic stays finite however many failures pile up.
    return Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** Math.min(over - 1, 30));
  }
}

/** Replaces a Core's login throttle (tests inject a clock, a sleep that records, smaller bounds). */
export function configureLoginThrottle(core: Core, options: Partial<LoginThrottleOptions>): LoginThrottle {
  core.loginThrottle = new LoginThrottle(options);
  return core.loginThrottle;
}
