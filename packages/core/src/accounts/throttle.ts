import type { Core } from '../core.ts';

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
  now: () => number;
  sleep: (milliseconds: number) => Promise<void>;
}

const DEFAULTS: LoginThrottleOptions = {
  freeFailures: 3,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  windowMs: 15 * 60_000,
  maxKeys: 10_000,
  now: () => Date.now(),
  sleep: (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)),
};

interface FailureRecord {
  failures: number;
  lastFailureAt: number;
}

/**
 * Slows down repeated failed logins per email and per client address, in memory.
 * A delay rather than a lock-out: an attacker cannot lock a real user out, but
 * guessing becomes slow.
 */
export class LoginThrottle {
  readonly options: LoginThrottleOptions;
  // Insertion order doubles as age order: a failure re-inserts its key at the end.
  readonly #records = new Map<string, FailureRecord>();

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

  /** Forgets the failures of these keys (after a successful login). */
  reset(keys: string[]): void {
    for (const key of keys) this.#records.delete(key);
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

const throttles = new WeakMap<Core, LoginThrottle>();

/** The login throttle of one Core (created with defaults on first use). */
export function loginThrottleOf(core: Core): LoginThrottle {
  let throttle = throttles.get(core);
  if (!throttle) {
    throttle = new LoginThrottle();
    throttles.set(core, throttle);
  }
  return throttle;
}

/** Replaces a Core's login throttle settings (tests inject a clock and a sleep that records). */
export function configureLoginThrottle(core: Core, options: Partial<LoginThrottleOptions>): LoginThrottle {
  const throttle = new LoginThrottle(options);
  throttles.set(core, throttle);
  return throttle;
}
