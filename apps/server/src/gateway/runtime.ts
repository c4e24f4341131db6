import {
  type Core,
  CooldownBoard,
  failoverOrder,
  isResting,
  type ResolvedCredential,
  type ResolvedModel,
  resolveModel,
  resolveModelCached,
  restsUntilChanged,
  UsageRecorder,
  WeightedRoundRobin,
} from '@switchboard/core';
import { type ModelType, type ProviderAdapter, ProviderError } from '@switchboard/provider-spec';
import type { Logger } from '../log.ts';
import { MissingModels } from './endpoints/missing-models.ts';
import { GatewayError } from './errors.ts';
import type { GatewayLimits } from './limits.ts';
import type { Principal } from './principal.ts';
import { ResponseArchive } from './responses/response-archive.ts';

/** A model resolved for one call, with its adapter. */
export interface Route {
  resolved: ResolvedModel;
  adapter: ProviderAdapter;
}

/** The outcome of a call with failover: what the winning credential produced. */
export interface Attempted<T> {
  result: T;
  credentialId: string;
}

/**
 * The gateway's state shared by every call: resolution (cached in core), credential
 * choice (weighted round robin, cooldowns), and usage recording. Nothing here touches
 * the database on the request path.
 */
export class GatewayRuntime {
  readonly core: Core;
  readonly logger: Logger;
  readonly cooldowns: CooldownBoard;
  readonly usage: UsageRecorder;
  readonly limits: GatewayLimits;
  /** Responses API responses kept for later turns. */
  readonly responses: ResponseArchive;
  /** Models their provider answered "not found" for (a model's failure, not a key's). */
  readonly missingModels = new MissingModels();
  readonly #roundRobin = new WeightedRoundRobin();

  constructor(core: Core, logger: Logger, limits: GatewayLimits) {
    this.core = core;
    this.logger = logger;
    this.limits = limits;
    this.cooldowns = new CooldownBoard(core);
    this.responses = new ResponseArchive(core, logger);
    this.usage = new UsageRecorder(core, {
      onError: (error) => logger.warn('usage write failed; will retry', { error }),
    });
  }

  /**
   * The model for `requested` (or the default of `type`) in the principal's workspace: at once
   * when the workspace's models are cached (nearly every call; no promise to wait for), else
   * once they are read.
   */
  route(principal: Principal, type: ModelType, requested: string | undefined): Route | Promise<Route> {
    const name = requested === undefined || requested === null ? undefined : String(requested);
    const cached = resolveModelCached(this.core, principal.workspaceId, type, name);
    if (cached) return this.#routeTo(principal, cached);
    return resolveModel(this.core, principal.workspaceId, type, name).then((resolved) =>
      this.#routeTo(principal, resolved),
    );
  }

  #routeTo(principal: Principal, resolved: ResolvedModel): Route {
    // A key limited to some models is refused the others, whichever name reached them.
    principal.limits?.checkModel(resolved);
    const adapter = this.core.providers.get(resolved.provider);
    if (!adapter)
      throw new GatewayError(
        503,
        'api_error',
        'provider_unavailable',
        `Provider ${resolved.provider} is not available on this server`,
      );
    return { resolved, adapter };
  }

  /**
   * Runs `attempt` with the chosen credential; when it fails for a reason that is the
   * key's (rate limit, rejected key, provider down) before anything reached the client,
   * the key rests and the next one is tried. Errors that are not the key's end at once.
   * A stream that began is no success yet: `succeeded` ends the key's streak once it ended well.
   */
  async withFailover<T>(
    principal: Principal,
    route: Route,
    attempt: (credential: ResolvedCredential) => Promise<T>,
  ): Promise<Attempted<T>> {
    const { resolved } = route;
    const pool = resolved.loadBalancing?.credentials;
    // The common case, one key: no ordering, no arrays.
    if (!pool || pool.length === 1) {
      const only = pool ? (pool[0] as ResolvedCredential) : resolved.credential;
      // A key in a rest the gateway chose itself is still tried when it is the only one.
      this.#now = Date.now();
      if (!this.#isAvailable(only) && !this.#restsSoftly(only, this.#now))
        throw this.#allCooling(resolved, [only], Date.now());
      try {
        const result = await attempt(only);
        this.missingModels.found(principal.workspaceId, resolved);
        return { result, credentialId: only.id };
      } catch (error) {
        this.#rest(principal, resolved, only, error);
        throw error;
      }
    }
    const key = `${principal.workspaceId}\u0000${resolved.provider}\u0000${resolved.type}\u0000${resolved.model}`;
    // One clock reading for the whole pool (the pick runs synchronously): a large pool asked the
    // clock once per key on every call.
    this.#now = Date.now();
    const picked = this.#roundRobin.pick(key, pool, this.#isAvailable);
    let lastError: unknown;
    if (picked) {
      // The pick alone first; the failover order (the others, sorted) is built only if it fails.
      try {
        const result = await attempt(picked.chosen);
        return this.#succeeded(principal, resolved, picked.chosen, result);
      } catch (error) {
        this.#rest(principal, resolved, picked.chosen, error);
        lastError = error;
      }
    }
    const ordered = picked ? failoverOrder(picked) : this.#softlyResting(pool, Date.now());
    if (!picked && ordered.length === 0) throw this.#allCooling(resolved, pool, Date.now());
    for (const candidate of ordered) {
      try {
        const result = await attempt(candidate);
        return this.#succeeded(principal, resolved, candidate, result);
      } catch (error) {
        this.#rest(principal, resolved, candidate, error);
        lastError = error;
      }
    }
    throw lastError;
  }

  /**
   * A key's attempt returned: the model is found. The key's failures end only once the answer went
   * out whole (`succeeded`), since a stream may still fail midway.
   */
  #succeeded<T>(
    principal: Principal,
    resolved: ResolvedModel,
    candidate: ResolvedCredential,
    result: T,
  ): Attempted<T> {
    this.missingModels.found(principal.workspaceId, resolved);
    return { result, credentialId: candidate.id };
  }

  /** The clock reading of the pick under way (`#isAvailable` runs inside it). */
  #now = 0;

  /** Whether a key may be used now: neither a stored nor a local cooldown holds it. */
  readonly #isAvailable = (candidate: ResolvedCredential): boolean => {
    const now = this.#now;
    return candidate.cooldownUntilMs <= now && this.cooldowns.get(candidate.id, now) === undefined;
  };

  /**
   * Whether a key rests only by the gateway's own choice (transient failures or a 429 that said
   * nothing of when to come back; decision 0027): such a key is tried when no other is left.
   * A rest heard from another instance counts as firm, since its cause is not known here.
   */
  #restsSoftly(candidate: ResolvedCredential, now: number): boolean {
    const local = this.cooldowns.get(candidate.id, now);
    if (!local || local.firm) return false;
    return candidate.cooldownUntilMs <= local.untilMs;
  }

  /** The keys of a pool that rest only softly, the first to come back first. */
  #softlyResting<C extends ResolvedCredential>(pool: readonly C[], now: number): C[] {
    const soft = pool.filter((candidate) => this.#restsSoftly(candidate, now));
    return soft.sort(
      (a, b) => (this.cooldowns.get(a.id, now)?.untilMs ?? 0) - (this.cooldowns.get(b.id, now)?.untilMs ?? 0),
    );
  }

  /**
   * After a failed attempt: counts the failure against the key when it was the key's (rate limit,
   * rejected key, provider down), resting it when the policy says, and lets failover go on;
   * rethrows errors that are not the key's, which end the call at once.
   */
  #rest(principal: Principal, resolved: ResolvedModel, candidate: ResolvedCredential, error: unknown): void {
    if (!(error instanceof ProviderError) || error.code === 'aborted') throw error;
    const now = Date.now();
    // The model's failure, not the key's: the key rests not, the model is marked.
    if (error.code === 'model_not_found') {
      this.missingModels.mark(principal.workspaceId, resolved, error.message, now);
      throw error;
    }
    const cooldown = this.cooldowns.start(principal.workspaceId, candidate.id, error, now);
    if (!cooldown) throw error;
    if (!isResting(cooldown, now)) return;
    this.logger.warn('credential cooling down', {
      workspaceId: principal.workspaceId,
      credentialId: candidate.id,
      code: error.code,
      until: new Date(cooldown.untilMs).toISOString(),
    });
  }

  /**
   * A call's answer went out whole (a stream to its end): the key's streak of failures ends. Not
   * when its first bytes came, so that failures midway through streams add up (decision 0031).
   */
  succeeded(credentialId: string): void {
    this.cooldowns.succeeded(credentialId);
  }

  /** Counts a key's failure after a stream already began (the stream ends with an error). */
  failedMidStream(principal: Principal, credentialId: string, error: unknown): void {
    if (error instanceof ProviderError && error.code !== 'aborted') {
      this.cooldowns.start(principal.workspaceId, credentialId, error, Date.now());
    }
  }

  #allCooling(resolved: ResolvedModel, candidates: readonly ResolvedCredential[], now: number): GatewayError {
    let firstBack = Number.POSITIVE_INFINITY;
    let rateLimited = false;
    for (const candidate of candidates) {
      const local = this.cooldowns.get(candidate.id, now);
      const until = Math.max(candidate.cooldownUntilMs, local?.untilMs ?? 0);
      if (until < firstBack) {
        firstBack = until;
        rateLimited = local?.code === 'rate_limited' || local?.code === 'quota_exceeded';
      }
    }
    const seconds = Math.max(1, Math.ceil((firstBack - now) / 1000));
    const forever = restsUntilChanged(firstBack);
    const label = `${resolved.provider}/${resolved.model}`;
    const message = forever
      ? `Every key of ${label} was rejected by the provider: a workspace admin must change or re-validate them`
      : `Every key of ${label} is cooling down; the first comes back at ${new Date(firstBack).toISOString()}`;
    return new GatewayError(
      rateLimited ? 429 : 503,
      rateLimited ? 'rate_limit_error' : 'api_error',
      'all_keys_cooling_down',
      message,
      null,
      forever ? {} : { 'retry-after': String(seconds) },
    );
  }

  /** Writes pending usage and cooldowns (graceful shutdown). */
  async close(): Promise<void> {
    await this.usage.close();
    await this.cooldowns.settle();
    await this.responses.close();
  }
}
