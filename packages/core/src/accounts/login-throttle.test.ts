import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCore } from '../../test/test-core.ts';
import type { Core } from '../core.ts';
import { CoreError } from '../errors.ts';
import { login } from './auth.ts';
import { PASSWORD, setupOwner } from './test-support.ts';
import { configureLoginThrottle, LoginThrottle } from './throttle.ts';

/** The outcome of a call: 'ok' or the core error code. */
const outcome = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (error: unknown) => (error instanceof CoreError ? error.code : String(error)),
  );

/** A promise with its resolve, for checks that finish when the test says so. */
function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe('login throttle under parallel attempts', () => {
  it('counts the failure before the password is checked', async () => {
    const throttle = new LoginThrottle({ freeFailures: 0, sleep: async () => undefined });
    let delayDuringCheck = -1;
    await throttle.attempt(['email:a@example.test'], async () => {
      delayDuringCheck = throttle.delayFor(['email:a@example.test']);
      return false;
    });
    expect(delayDuringCheck).toBeGreaterThan(0);
  });

  it('takes the counted failure back when the password matches', async () => {
    const throttle = new LoginThrottle({ freeFailures: 0, sleep: async () => undefined });
    await throttle.attempt(['address:10.0.0.1'], async () => true);
    expect(throttle.delayFor(['address:10.0.0.1'])).toBe(0);
  });

  it('runs one attempt per key at a time, lets a few wait, and refuses the rest', async () => {
    const throttle = new LoginThrottle({ maxWaiting: 2, sleep: async () => undefined });
    const release = gate();
    let running = 0;
    let mostAtOnce = 0;
    const attempts = Array.from({ length: 8 }, () =>
      outcome(
        throttle.attempt(['email:one@example.test', `address:10.0.0.${Math.random()}`], async () => {
          running++;
          mostAtOnce = Math.max(mostAtOnce, running);
          await release.opened;
          running--;
          return false;
        }),
      ),
    );
    release.open();
    const results = await Promise.all(attempts);
    expect(mostAtOnce).toBe(1);
    expect(results.filter((result) => result === 'ok')).toHaveLength(3);
    expect(results.filter((result) => result === 'TOO_MANY_REQUESTS')).toHaveLength(5);
  });

  it('bounds the password checks running at once over all keys, refusing past the queue', async () => {
    const throttle = new LoginThrottle({
      freeFailures: 0,
      maxConcurrentChecks: 2,
      maxQueuedChecks: 1,
      sleep: async () => undefined,
    });
    const release = gate();
    let running = 0;
    let mostAtOnce = 0;
    const attempts = Array.from({ length: 6 }, (_, index) =>
      outcome(
        throttle.attempt([`email:user${index}@example.test`, `address:10.0.1.${index}`], async () => {
          running++;
          mostAtOnce = Math.max(mostAtOnce, running);
          await release.opened;
          running--;
          return true;
        }),
      ),
    );
    // Every attempt has reached the check or been refused before the first check finishes.
    await new Promise((resolve) => setTimeout(resolve, 20));
    release.open();
    const results = await Promise.all(attempts);
    expect(mostAtOnce).toBe(2);
    expect(results.filter((result) => result === 'ok')).toHaveLength(3);
    expect(results.filter((result) => result === 'TOO_MANY_REQUESTS')).toHaveLength(3);
    // Neither the matches nor the attempts refused before any check count as failed guesses.
    for (let index = 0; index < 6; index++) {
      expect(throttle.delayFor([`email:user${index}@example.test`])).toBe(0);
    }
  });
});

describe('login through the core throttle', () => {
  let core: Core;
  beforeAll(async () => {
    core = await createTestCore('sqlite');
    await setupOwner(core);
  });
  afterAll(() => core.close());

  it('lets parallel guesses at one email through one at a time, refusing most of them', async () => {
    const delays: number[] = [];
    configureLoginThrottle(core, { freeFailures: 1, sleep: async (ms) => void delays.push(ms) });
    const guesses = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        outcome(
          login(core, {
            email: 'owner@example.test',
            password: `wrong guess ${index}`,
            clientAddress: `192.0.2.${index}`,
          }),
        ),
      ),
    );
    expect(guesses.filter((result) => result === 'UNAUTHORIZED')).toHaveLength(3);
    expect(guesses.filter((result) => result === 'TOO_MANY_REQUESTS')).toHaveLength(9);
    // Each checked guess paid for the ones before it (the first two failures are free).
    expect(delays).toEqual([500]);
    const owner = { email: 'owner@example.test', password: PASSWORD, clientAddress: '203.0.113.9' };
    expect(await outcome(login(core, owner))).toBe('ok');
    expect(delays).toEqual([500, 1000]);
  });

  it('holds the throttle on the core, where a test replaces it', () => {
    const replaced = configureLoginThrottle(core, {});
    expect(core.loginThrottle).toBe(replaced);
  });
});
