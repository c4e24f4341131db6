import { isProviderError, type ProviderErrorCode } from '@switchboard/provider-spec';
import type { Core } from '../core.ts';
import { nowIso } from '../ids.ts';
import { getCredential, upsertCooldown } from '../provider-management/credential-repository.ts';
import { setCredentialStatus } from '../provider-management/credentials.ts';
import { providerReason } from '../provider-management/provider-validation.ts';

// The one home of cooldowns: how long a key rests after an error (`cooldownFor`), this
// process's board of resting keys, and the stored cooldown other instances and the console read.

/** A key resting after errors. */
export interface Cooldown {
  untilMs: number;
  reason: string;
  /** Consecutive failures, for the growing backoff of connection errors and 5xx. */
  failures: number;
  /** The error that started it: `rate_limited` keys answer 429 when all rest, others 503. */
  code: ProviderErrorCode;
  /**
   * Whether the provider set this rest (it said when to come back, or rejected the key): the key is
   * not tried before it ends. A rest the gateway chose itself is a preference: a key in such a rest
   * is still tried when no other key is left.
   */
  firm: boolean;
}

/** Whether a cooldown rests the key at `nowMs` (a failure is counted before the key rests). */
export const isResting = (cooldown: Cooldown, nowMs: number): boolean => cooldown.untilMs > nowMs;

/** Until a person changes or re-validates the key: stored as a far date so both engines compare it. */
export const UNTIL_CHANGED_MS = Date.parse('9999-12-31T00:00:00.000Z');

/** Whether a cooldown ending at `untilMs` lasts until a person changes or re-validates the key. */
export const restsUntilChanged = (untilMs: number): boolean => untilMs >= UNTIL_CHANGED_MS;

/** What the board needs of a failed call's error; a ProviderError carries the provider's own words too. */
export type CooldownCause = { code: ProviderErrorCode; retryAfterMs?: number | undefined };

/**
 * Rests a credential until `until` after an upstream failure, counting repeated failures so
 * backoff can grow. Runtime state, not a user change: no audit entry, but a `cooldown` change
 * notice so every instance's resolve cache and every console see it.
 */
export async function startCooldown(
  core: Core,
  input: { workspaceId: string; credentialId: string; until: Date | string; reason: string },
): Promise<{ until: string; failures: number }> {
  await getCredential(core.db, input.workspaceId, input.credentialId);
  return storeCooldown(core, input);
}

/**
 * `startCooldown` for a credential known to belong to the workspace (the gateway's, taken from the
 * workspace's resolve snapshot): one write and the change notice. A credential deleted meanwhile
 * fails the write (its foreign key), as the lookup would have.
 */
async function storeCooldown(
  core: Core,
  input: { workspaceId: string; credentialId: string; until: Date | string; reason: string },
): Promise<{ until: string; failures: number }> {
  const until = typeof input.until === 'string' ? input.until : input.until.toISOString();
  const at = nowIso();
  const row = await upsertCooldown(core.db, { ...input, until, at });
  // This process's snapshot takes the row as written rather than reading it back for the notice.
  const untilMs = Date.parse(row.until);
  if (Number.isFinite(untilMs)) core.resolveCache.cooldownWritten(input.credentialId, untilMs);
  core.changes.publish({
    workspaceId: input.workspaceId,
    kind: 'cooldown',
    id: input.credentialId,
    action: 'cooldown.start',
    at,
  });
  return { until: row.until, failures: Number(row.failures) };
}

const RATE_LIMIT_DEFAULT_MS = 60_000;
const TRANSIENT_BASE_MS = 10_000;
const TRANSIENT_MAX_MS = 300_000;
/** Consecutive transient failures (5xx, timeout, a cut stream) before the key rests. */
export const TRANSIENT_REST_AFTER = 3;

/**
 * How long a key rests after an error, or undefined when the error says nothing about
 * the key (a bad request, an unknown model, the client going away). A transient failure the
 * provider gave no Retry-After for is counted (`untilMs` is now) until it repeats
 * `TRANSIENT_REST_AFTER` times in a row: one overloaded answer must not bench a key.
 */
export function cooldownFor(
  error: CooldownCause,
  previousFailures: number,
  nowMs: number,
): Cooldown | undefined {
  const failures = previousFailures + 1;
  switch (error.code) {
    case 'rate_limited':
    case 'quota_exceeded':
      return {
        untilMs: nowMs + (error.retryAfterMs ?? RATE_LIMIT_DEFAULT_MS),
        reason:
          error.code === 'rate_limited' ? 'rate limited by the provider' : 'quota exceeded at the provider',
        failures,
        code: error.code,
        firm: error.retryAfterMs !== undefined,
      };
    case 'invalid_credentials':
    case 'permission_denied':
      return {
        untilMs: UNTIL_CHANGED_MS,
        reason: 'the provider rejected the key: change or re-validate it',
        failures,
        code: error.code,
        firm: true,
      };
    case 'upstream_unavailable':
    case 'timeout':
    case 'malformed_response': {
      const reason =
        error.code === 'timeout' ? 'the provider timed out' : 'the provider was unreachable or failing';
      if (error.retryAfterMs !== undefined)
        return { untilMs: nowMs + error.retryAfterMs, reason, failures, code: error.code, firm: true };
      const rests = failures - TRANSIENT_REST_AFTER;
      const untilMs = rests < 0 ? nowMs : nowMs + Math.min(TRANSIENT_BASE_MS * 2 ** rests, TRANSIENT_MAX_MS);
      return { untilMs, reason, failures, code: error.code, firm: false };
    }
    default:
      return undefined;
  }
}

/**
 * This process's view of resting keys: consulted on every call without I/O, and
 * written through to `credential_cooldowns` (off the hot path) with a change event,
 * so other instances honour the cooldown and the console shows it.
 */
export class CooldownBoard {
  readonly #core: Core;
  readonly #local = new Map<string, Cooldown>();
  readonly #pending = new Set<Promise<void>>();

  constructor(core: Core) {
    this.#core = core;
    // A credential that was changed or validated again starts with a clean slate.
    core.changes.subscribe((event) => {
      if (event.kind === 'credential' && event.id && event.action !== 'credential.invalid')
        this.#local.delete(event.id);
    });
  }

  /** The local cooldown of a credential, if it has not expired. */
  get(credentialId: string, nowMs: number): Cooldown | undefined {
    const cooldown = this.#local.get(credentialId);
    if (cooldown && cooldown.untilMs <= nowMs) return undefined;
    return cooldown;
  }

  /**
   * Counts a failure of a credential and rests it when the policy says (`cooldownFor`); returns
   * the cooldown (resting or only counted), or undefined when the error is not the key's.
   */
  start(
    workspaceId: string,
    credentialId: string,
    error: CooldownCause,
    nowMs: number,
  ): Cooldown | undefined {
    const previous = this.#local.get(credentialId);
    // Failures count up only while they keep coming; a key that recovered starts over.
    const streak = previous && previous.untilMs + TRANSIENT_MAX_MS > nowMs ? previous.failures : 0;
    const cooldown = cooldownFor(error, streak, nowMs);
    if (!cooldown) return undefined;
    this.#local.set(credentialId, cooldown);
    // A counted failure stays in this process: nothing rests, nothing to tell other instances.
    if (!isResting(cooldown, nowMs)) return cooldown;
    const write = this.#persist(workspaceId, credentialId, cooldown, this.#reasonOf(error)).finally(() =>
      this.#pending.delete(write),
    );
    this.#pending.add(write);
    return cooldown;
  }

  /** A success ends any local record of failures. */
  succeeded(credentialId: string): void {
    if (this.#local.size > 0) this.#local.delete(credentialId);
  }

  /** Forgets local cooldowns, of one credential or all (stored ones are cleared by changing the credential). */
  forget(credentialId?: string): void {
    if (credentialId) this.#local.delete(credentialId);
    else this.#local.clear();
  }

  /** Waits for cooldown writes in flight (graceful shutdown, tests). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.#pending]);
  }

  /** The provider's own words for a rejected key, as `credentials.revalidate` records them. */
  #reasonOf(error: CooldownCause): string {
    const label = isProviderError(error)
      ? this.#core.providers.get(error.provider)?.manifest.label
      : undefined;
    return isProviderError(error) && label
      ? providerReason(error, label)
      : `Rejected by the provider during a call (${error.code})`;
  }

  async #persist(
    workspaceId: string,
    credentialId: string,
    cooldown: Cooldown,
    reason: string,
  ): Promise<void> {
    try {
      await storeCooldown(this.#core, {
        workspaceId,
        credentialId,
        until: new Date(cooldown.untilMs),
        reason: cooldown.reason,
      });
      if (restsUntilChanged(cooldown.untilMs)) {
        // The provider refused the key: its models show `credential-invalid` (audited) until it is fixed.
        await setCredentialStatus(
          this.#core,
          { kind: 'system', label: 'gateway' },
          {
            workspaceId,
            credentialId,
            valid: false,
            reason,
          },
        );
      }
    } catch {
      // The credential may have been deleted meanwhile: nothing left to rest.
    }
  }
}
