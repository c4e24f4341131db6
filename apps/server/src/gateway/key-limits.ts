import {
  type ApiKeyLimits,
  addApiKeySpend,
  admitApiKeyCall,
  admitApiKeyCalls,
  allowsModel,
  type CompiledLimits,
  type Core,
  compileLimits,
  isResync,
  NO_SPEND,
  openPinnedCredential,
  type Refusal,
  type ResolvedCredential,
  type ResolvedModel,
  storedRestUntil,
  type UnsavedSpend,
} from '@switchboard/core';
import type { ModelPricing } from '@switchboard/provider-spec';
import type { Logger } from '../log.ts';
import { GatewayError } from './errors.ts';
import type { Route } from './runtime.ts';

// The gateway's side of API key limits (decisions 0026, 0031, 0036). A key's model list is checked
// from memory; its requests and tokens (over a sliding minute) and budget against the shared
// counters in the database (one atomic statement per call, only for keys that have such a limit),
// so the bound holds across instances; its pinned credential replaces the model's own choice of key.

/**
 * How long a finished call's tokens and cost may wait here for the key's next admission to carry
 * them into its counters before they are written on their own: other servers and `apiKeys.list`
 * see them at most this late.
 */
const SPEND_WRITE_DELAY_MS = 200;
/** How long a spend write that failed (the database away) waits before it is tried again. */
const SPEND_RETRY_DELAY_MS = 5_000;

/** How each refusal is answered: OpenAI's `type` and the stable `code`. */
const REFUSALS: Record<Refusal['limit'], { type: string; code: string; what: (value: number) => string }> = {
  requests: {
    type: 'requests',
    code: 'rate_limit_exceeded',
    what: (value) => `requests per minute (limit ${value})`,
  },
  tokens: {
    type: 'tokens',
    code: 'tokens_per_minute_exceeded',
    what: (value) => `tokens per minute (limit ${value})`,
  },
  budget: {
    type: 'insufficient_quota',
    code: 'budget_exceeded',
    what: (value) => `its monthly budget (${value} USD)`,
  },
};

/** The 429 for a limit the key is at, with Retry-After. */
function refused(refusal: Refusal): GatewayError {
  const { type, code, what } = REFUSALS[refusal.limit];
  return new GatewayError(
    429,
    type,
    code,
    `This API key reached ${what(refusal.value)}; try again in ${refusal.retryAfterSeconds} s`,
    null,
    { 'retry-after': String(refusal.retryAfterSeconds) },
  );
}

/** The 403 OpenAI answers for a model a restricted key may not use. */
export function modelNotAllowed(limits: ApiKeyLimits, provider: string, model: string): GatewayError {
  return new GatewayError(
    403,
    'invalid_request_error',
    'model_not_allowed',
    `This API key may not use ${provider}/${model}; it may use ${(limits.models ?? []).join(', ')}`,
    'model',
  );
}

/**
 * The 403 for a model without a price on a key with a monthly budget: its spend could not be
 * counted, so the budget would not hold (decision 0032).
 */
export function modelNotPriced(provider: string, model: string): GatewayError {
  return new GatewayError(
    403,
    'invalid_request_error',
    'model_not_priced',
    `This API key has a monthly budget and ${provider}/${model} has no price, so its spend cannot be counted; a workspace admin can set the model's price (0 when it is free) on the Providers page`,
    'model',
  );
}

/** One key's limits, as the gateway applies them; shared by every call of that key. */
export class KeyLimits {
  readonly compiled: CompiledLimits;
  readonly #apiKeyId: string;
  readonly #limiter: KeyLimiter;
  /** The model routes with this key's pinned credential, by the resolved model they replace. */
  readonly #pinnedRoutes = new WeakMap<ResolvedModel, Route>();
  /**
   * Calls of this key that arrived in this turn of the event loop: admitted together in the next
   * check phase, by one statement (one commit) while the key has room for them all.
   */
  #waiting: { resolve: (refusal: Refusal | null) => void; reject: (error: unknown) => void }[] = [];

  constructor(apiKeyId: string, compiled: CompiledLimits, limiter: KeyLimiter) {
    this.#apiKeyId = apiKeyId;
    this.compiled = compiled;
    this.#limiter = limiter;
  }

  /** Whether the key may call `provider/model` (for routing and the models list). */
  allows(provider: string, model: string): boolean {
    return allowsModel(this.compiled, provider, model);
  }

  /** Whether a model with this price can be counted against the key's budget (a key without one counts anything). */
  countable(pricing: ModelPricing | null): boolean {
    return pricing !== null || this.compiled.budgetNanos === null;
  }

  /** Throws the 403 when the key may not call the resolved model, or cannot count its spend. */
  checkModel(resolved: ResolvedModel): void {
    if (!allowsModel(this.compiled, resolved.provider, resolved.model))
      throw modelNotAllowed(this.compiled, resolved.provider, resolved.model);
    if (!this.countable(resolved.pricing)) throw modelNotPriced(resolved.provider, resolved.model);
  }

  /**
   * Counts the call against the key's limits (429 when one is reached) and returns the route to
   * use: the given one, or one with the key's pinned credential for the provider.
   */
  async admit(route: Route, workspaceId: string): Promise<Route> {
    if (this.compiled.metered) {
      const refusal = await new Promise<Refusal | null>((resolve, reject) => {
        if (this.#waiting.push({ resolve, reject }) === 1) setImmediate(() => void this.#admitWaiting());
      });
      if (refusal) throw refused(refusal);
    }
    const pin = this.compiled.credentials[route.resolved.provider];
    if (pin === undefined) return route;
    const cached = this.#pinnedRoutes.get(route.resolved);
    if (cached) return cached;
    const credential = await this.#limiter.pinned(workspaceId, route.resolved, pin);
    const { loadBalancing: _, ...single } = route.resolved;
    const pinned: Route = { adapter: route.adapter, resolved: { ...single, credential } };
    this.#pinnedRoutes.set(route.resolved, pinned);
    return pinned;
  }

  /**
   * Admits the waiting calls: together, carrying this server's unsaved spend of the key, judged
   * with it; when they do not all fit (or a minute turned), the spend is written first and each
   * call is judged alone, so this server counts exactly either way.
   */
  async #admitWaiting(): Promise<void> {
    const waiting = this.#waiting;
    this.#waiting = [];
    const limiter = this.#limiter;
    const { db } = limiter.core;
    let unsaved: UnsavedSpend | undefined = limiter.takeUnsaved(this.#apiKeyId);
    try {
      const now = limiter.core.limitClock();
      if (await admitApiKeyCalls(db, this.#apiKeyId, this.compiled, now, waiting.length, unsaved)) {
        for (const call of waiting) call.resolve(null);
        return;
      }
      limiter.addUnsaved(this.#apiKeyId, unsaved.tokens, unsaved.costNanos);
      unsaved = undefined;
      await limiter.writeUnsaved();
      for (const call of waiting)
        call.resolve(await admitApiKeyCall(db, this.#apiKeyId, this.compiled, limiter.core.limitClock()));
    } catch (error) {
      // Only the first statement can fail with the spend still in hand, and it wrote nothing.
      if (unsaved) limiter.addUnsaved(this.#apiKeyId, unsaved.tokens, unsaved.costNanos);
      for (const call of waiting) call.reject(error);
    }
  }

  /** Adds a finished call's tokens and cost (usage x the model's price) to the key's counters, soon. */
  spent(resolved: ResolvedModel, tokensIn: number, tokensOut: number): void {
    if (!this.compiled.metered || tokensIn + tokensOut === 0) return;
    this.#limiter.addUnsaved(
      this.#apiKeyId,
      tokensIn + tokensOut,
      costNanos(resolved.pricing, tokensIn, tokensOut),
    );
  }
}

/**
 * The cost of a call in nano-dollars, rounded up, at the resolved model's price per million tokens
 * (the catalog's, or the admin's for a custom model); 0 without a price, which only keys without
 * a budget reach.
 */
export function costNanos(pricing: ModelPricing | null, tokensIn: number, tokensOut: number): number {
  if (pricing === null) return 0;
  // Per million tokens in USD = nano-dollars x 1000 per token.
  return Math.ceil(
    tokensIn * pricing.inputPerMillion * 1000 + tokensOut * (pricing.outputPerMillion ?? 0) * 1000,
  );
}

/**
 * Per-process state of API key limits: decrypted pinned credentials, and the spend of finished
 * calls not yet in the counters (kept by key id, not by `KeyLimits`, which a change replaces).
 */
export class KeyLimiter {
  readonly core: Core;
  readonly logger: Logger;
  /**
   * Decrypted pinned credentials by workspace, dropped when anything in the workspace changes but
   * a rest: a key's rest only updates its own cooldown, in place (a 429 storm starts and ends
   * rests many times a second, and each would otherwise decrypt every pinned key again).
   */
  readonly #pins = new Map<string, Map<string, Promise<ResolvedCredential | null>>>();
  /** Pinned credentials opened (read and decrypted) so far; tests read it. */
  pinsOpened = 0;
  /** Rests of pinned credentials taken as this process wrote them, without a read; tests read it. */
  restsTakenAsWritten = 0;
  /** Finished calls' tokens and cost by API key id, until an admission or the timer writes them. */
  readonly #unsaved = new Map<string, UnsavedSpend>();
  #writeTimer: NodeJS.Timeout | undefined;
  /** Shut down: nothing more is scheduled (a late call's spend waits in memory for nobody). */
  #closed = false;
  #writing: Promise<void> = Promise.resolve();

  constructor(core: Core, logger: Logger) {
    this.core = core;
    this.logger = logger;
    core.changes.subscribe((event) => {
      if (isResync(event)) this.#pins.clear();
      else if (event.kind === 'cooldown' && event.id) this.#restChanged(event.workspaceId, event.id);
      else this.#pins.delete(event.workspaceId);
    });
  }

  /**
   * A key started or ended a rest (here or on another instance): a pinned copy of it takes the
   * stored rest (as written here, or read after the event), so the routes that hold it see it.
   * Read failing, the copy is dropped and opened again on its next call.
   */
  #restChanged(workspaceId: string, credentialId: string): void {
    const workspace = this.#pins.get(workspaceId);
    const opening = workspace?.get(credentialId);
    if (!workspace || !opening) return;
    // A rest this process stored is taken as written; only another instance's is read back.
    const written = this.core.resolveCache.restWritten(credentialId);
    if (written !== undefined) this.restsTakenAsWritten += 1;
    void opening
      .then(async (credential) => {
        if (credential)
          credential.cooldownUntilMs = written ?? (await storedRestUntil(this.core.db, credentialId));
      })
      .catch(() => {
        if (workspace.get(credentialId) === opening) workspace.delete(credentialId);
      });
  }

  /** Counts a finished call's spend for the key's next admission, or the timer, to write. */
  addUnsaved(apiKeyId: string, tokens: number, costNanos: number, delayMs = SPEND_WRITE_DELAY_MS): void {
    if (tokens === 0 && costNanos === 0) return;
    const unsaved = this.#unsaved.get(apiKeyId);
    if (unsaved) {
      unsaved.tokens += tokens;
      unsaved.costNanos += costNanos;
    } else this.#unsaved.set(apiKeyId, { tokens, costNanos });
    if (this.#closed) return;
    this.#writeTimer ??= setTimeout(() => {
      this.#writeTimer = undefined;
      void this.writeUnsaved();
    }, delayMs).unref();
  }

  /** The key's unsaved spend, now the caller's to write (or to give back with `addUnsaved`). */
  takeUnsaved(apiKeyId: string): UnsavedSpend {
    const unsaved = this.#unsaved.get(apiKeyId);
    if (!unsaved) return NO_SPEND;
    this.#unsaved.delete(apiKeyId);
    return unsaved;
  }

  /** Writes every key's unsaved spend (on the timer, and at shutdown); a failed write is kept for the next. */
  writeUnsaved(): Promise<void> {
    this.#writing = this.#writing.then(async () => {
      for (const apiKeyId of [...this.#unsaved.keys()]) {
        const unsaved = this.takeUnsaved(apiKeyId);
        try {
          await addApiKeySpend(
            this.core.db,
            apiKeyId,
            unsaved.tokens,
            unsaved.costNanos,
            this.core.limitClock(),
          );
        } catch (error) {
          this.logger.warn('API key usage count failed; will retry', { error });
          this.addUnsaved(apiKeyId, unsaved.tokens, unsaved.costNanos, SPEND_RETRY_DELAY_MS);
          return;
        }
      }
    });
    return this.#writing;
  }

  /** Writes what is unsaved and stops the timer (graceful shutdown). */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#writeTimer);
    this.#writeTimer = undefined;
    await this.writeUnsaved();
  }

  /** The gateway's view of a key's limits; null when the key has none (nothing to check). */
  forKey(apiKeyId: string, limits: ApiKeyLimits): KeyLimits | null {
    const compiled = compileLimits(limits);
    if (compiled.models === null && !compiled.metered && Object.keys(compiled.credentials).length === 0)
      return null;
    return new KeyLimits(apiKeyId, compiled, this);
  }

  /** A pinned credential: the model's own object when it serves the model, else decrypted once. */
  async pinned(
    workspaceId: string,
    resolved: ResolvedModel,
    credentialId: string,
  ): Promise<ResolvedCredential> {
    const serving = resolved.loadBalancing?.credentials ?? [resolved.credential];
    // The model's own object, not a copy: the resolve snapshot updates its rest in place.
    const own = serving.find((candidate) => candidate.id === credentialId);
    if (own) return own;
    let workspace = this.#pins.get(workspaceId);
    if (!workspace) {
      workspace = new Map();
      this.#pins.set(workspaceId, workspace);
    }
    let opening = workspace.get(credentialId);
    if (!opening) {
      this.pinsOpened += 1;
      opening = openPinnedCredential(this.core, workspaceId, resolved.provider, credentialId);
      workspace.set(credentialId, opening);
      opening.catch(() => workspace?.delete(credentialId));
    }
    const credential = await opening;
    if (!credential)
      throw new GatewayError(
        503,
        'api_error',
        'pinned_credential_unavailable',
        `This API key is pinned to a ${resolved.provider} credential that no longer exists: a workspace admin must pin another`,
      );
    return credential;
  }
}
