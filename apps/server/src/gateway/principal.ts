import {
  authenticateApiKey,
  authenticatePersonalToken,
  type Core,
  isResync,
  requireMember,
} from '@switchboard/core';
import type { Logger } from '../log.ts';
import { GatewayError } from './errors.ts';
import { KeyLimiter, type KeyLimits } from './key-limits.ts';

/** Who a gateway call is for: a workspace, through an API key or a member's personal token. */
export interface Principal {
  workspaceId: string;
  apiKeyId: string | null;
  userId: string | null;
  /**
   * Set for the console's signed-in session (the playground): answers carry the model and the
   * credential that served them, which the console shows; API keys and tokens never get them.
   */
  console?: true;
  /** What an API key may reach and spend (decision 0026); null when nothing limits it. */
  limits: KeyLimits | null;
}

interface Entry {
  principal: Principal | null;
  expiresAt: number;
}

// A revoked API key or personal token is dropped at once (its change notice clears the cache);
// the TTL bounds how long a change that publishes no notice is still honoured.
const POSITIVE_TTL_MS = 10_000;
const NEGATIVE_TTL_MS = 2_000;
const MAX_ENTRIES = 50_000;

/**
 * Cache key: the header itself. Hashing it per call cost measurable throughput, and the
 * process already holds decrypted provider keys, so a raw token in its memory adds no exposure;
 * what is stored in the database stays a hash.
 */
const cacheKey = (authorization: string, workspaceHeader: string | undefined) =>
  workspaceHeader ? `${authorization}\u0000${workspaceHeader}` : authorization;

const unauthorized = (message: string) =>
  new GatewayError(401, 'authentication_error', 'invalid_api_key', message);

/**
 * Authenticates gateway calls from memory: tokens are looked up (hashed) in the
 * database once, then served from a cache that change events invalidate, so the hot
 * path does no database round trip.
 */
export class GatewayAuth {
  readonly #core: Core;
  readonly #cache = new Map<string, Entry>();
  /** API key limits' per-process state (tests read its counters). */
  readonly limiter: KeyLimiter;

  constructor(core: Core, logger: Logger) {
    this.#core = core;
    this.limiter = new KeyLimiter(core, logger);
    core.changes.subscribe((event) => {
      if (isResync(event)) this.#cache.clear();
      else if (event.kind === 'sign-in') {
        // A personal token was revoked (or its user's password reset): drop every token entry,
        // so it stops working at once rather than when its entry expires.
        for (const [key, entry] of this.#cache) if (!entry.principal?.apiKeyId) this.#cache.delete(key);
      } else if (event.kind === 'api-key' || event.kind === 'member' || event.kind === 'workspace') {
        for (const [key, entry] of this.#cache) {
          if (!entry.principal || entry.principal.workspaceId === event.workspaceId) this.#cache.delete(key);
        }
      }
    });
  }

  /** Writes what API key limits still hold in memory (graceful shutdown). */
  close(): Promise<void> {
    return this.limiter.close();
  }

  /**
   * The principal of `Authorization: Bearer sbk_…`, or `sbp_…` with `X-Switchboard-Workspace`,
   * when it is cached and fresh: the synchronous hot path. Undefined means "ask `authenticate`".
   */
  cached(authorization: string | undefined, workspaceHeader: string | undefined): Principal | undefined {
    if (authorization === undefined) return undefined;
    const entry = this.#cache.get(cacheKey(authorization, workspaceHeader));
    return entry?.principal && entry.expiresAt > Date.now() ? entry.principal : undefined;
  }

  /** The principal of the request, looked up when not cached; throws 401/400 with what to fix. */
  async authenticate(
    authorization: string | undefined,
    workspaceHeader: string | undefined,
  ): Promise<Principal> {
    if (!authorization?.startsWith('Bearer ')) {
      throw unauthorized('Send a workspace API key as "Authorization: Bearer sbk_…"');
    }
    const token = authorization.slice(7).trim();
    const isPersonal = token.startsWith('sbp_');
    if (!isPersonal && !token.startsWith('sbk_')) {
      throw unauthorized(
        'This is not a Switchboard key: use a workspace API key (sbk_…) or a personal access token (sbp_…)',
      );
    }
    if (isPersonal && !workspaceHeader) {
      throw new GatewayError(
        400,
        'invalid_request_error',
        'workspace_required',
        'A personal access token needs the X-Switchboard-Workspace header naming the workspace id',
        'X-Switchboard-Workspace',
      );
    }
    const key = cacheKey(authorization, workspaceHeader);
    const now = Date.now();
    let entry = this.#cache.get(key);
    if (!entry || entry.expiresAt <= now) {
      const principal = await this.#lookup(token, isPersonal, workspaceHeader ?? '');
      entry = { principal, expiresAt: now + (principal ? POSITIVE_TTL_MS : NEGATIVE_TTL_MS) };
      if (this.#cache.size >= MAX_ENTRIES) this.#cache.clear();
      this.#cache.set(key, entry);
    }
    if (!entry.principal) {
      throw unauthorized(
        isPersonal
          ? 'Unknown or revoked token, or not a member of that workspace'
          : 'Unknown or revoked API key',
      );
    }
    return entry.principal;
  }

  async #lookup(token: string, isPersonal: boolean, workspaceId: string): Promise<Principal | null> {
    if (!isPersonal) {
      const key = await authenticateApiKey(this.#core, token);
      if (!key) return null;
      const limits = this.limiter.forKey(key.apiKeyId, key.limits);
      return { workspaceId: key.workspaceId, apiKeyId: key.apiKeyId, userId: null, limits };
    }
    const user = await authenticatePersonalToken(this.#core, token);
    if (!user) return null;
    try {
      await requireMember(this.#core.db, user.userId, workspaceId);
    } catch {
      return null;
    }
    return { workspaceId, apiKeyId: null, userId: user.userId, limits: null };
  }
}
