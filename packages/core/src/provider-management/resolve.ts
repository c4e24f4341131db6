import type { CredentialValues, ModelPricing, ModelType, ProviderId } from '@switchboard/provider-spec';
import type { ChangeBus } from '../changes.ts';
import type { DbOrTrx } from '../db/schema.ts';
import type { Core } from '../core.ts';
import { badRequest, CoreError, notFound } from '../errors.ts';
import { isResync } from '../changes/transport.ts';
import { loadState } from './catalog.ts';
import { storedRestUntil } from './credential-repository.ts';
import { openValues } from './sealed-values.ts';
import { defaultViews } from './defaults.ts';
import { type ModelState, modelKey, type WorkspaceProviderState } from './state.ts';

/** A credential ready for a provider call: its id and its decrypted form values. */
export interface ResolvedCredential {
  id: string;
  values: Readonly<CredentialValues>;
  /** Epoch ms until which the gateway rests this key; 0 when it is free. */
  cooldownUntilMs: number;
}

/** What the runtime should call: shared read-only objects, do not mutate them. */
export interface ResolvedModel {
  provider: ProviderId;
  model: string;
  type: ModelType;
  /** USD per million tokens (the admin's price of a custom model, else the catalog's); null: no price. */
  pricing: ModelPricing | null;
  /** The active credential (the first load-balancing entry when load balancing is on). */
  credential: ResolvedCredential;
  /** Present when the model balances over two or more credentials: pick by weight, skip keys in cooldown. */
  loadBalancing?: { credentials: (ResolvedCredential & { weight: number })[] };
}

interface Entry {
  result: ResolvedModel | undefined;
  /** Why the model cannot be used regardless of time. */
  error: (() => CoreError) | undefined;
  label: string;
}

interface Snapshot {
  /** Every resolved credential object by credential id, to update a cooldown in place. */
  credentials: Map<string, ResolvedCredential[]>;
  exact: Map<string, Entry>;
  bare: Map<string, Entry[]>;
  defaults: Map<ModelType, Entry | (() => CoreError)>;
  /** Answers by type, then by the name as requested: no string building on the hot path. */
  memo: Map<ModelType, Map<string, Entry | (() => CoreError)>>;
  memoSize: number;
}

/**
 * The resolve state of one process: a snapshot per workspace, dropped by change events (local,
 * or other instances' through the change feed). Created with the Core, so a reader of `Core`
 * sees it and a test can reset it.
 */
export class ResolveCache {
  readonly snapshots = new Map<string, Snapshot>();
  readonly loading = new Map<string, Promise<Snapshot>>();
  readonly generations = new Map<string, number>();
  /** Credentials decrypted for snapshots so far (each snapshot load opens its workspace's keys). */
  decryptions = 0;
  /** Cooldown reads saved because this process had just written the rest (tests read it). */
  cooldownsTakenAsWritten = 0;
  readonly #db: DbOrTrx | undefined;
  /** Rests this process has just written, by credential id: the next cooldown event takes them as written. */
  readonly #written = new Map<string, number>();

  /** With `db`, a cooldown of one key updates the snapshot in place instead of reloading it. */
  constructor(changes: ChangeBus, db?: DbOrTrx) {
    this.#db = db;
    changes.subscribe((event) => {
      // After a lost connection to the other instances nothing is known to be fresh.
      if (isResync(event)) this.invalidate();
      else if (event.kind === 'cooldown' && event.id && this.#db)
        this.#cooldownChanged(event.workspaceId, event.id);
      else this.invalidate(event.workspaceId);
    });
  }

  /**
   * A key started or ended a rest: under a 429 storm this happens many times a second, and
   * reloading the workspace (and decrypting every key again) each time would cost the gateway its
   * throughput. The snapshot's credential objects take the stored rest in place; a snapshot being
   * loaded right now may have read before the rest was written, so that load is dropped instead.
   */
  #cooldownChanged(workspaceId: string, credentialId: string): void {
    const written = this.#written.get(credentialId);
    const snapshot = this.snapshots.get(workspaceId);
    if (!snapshot || this.loading.has(workspaceId)) {
      this.invalidate(workspaceId);
      return;
    }
    const objects = snapshot.credentials.get(credentialId);
    if (!objects) return;
    if (written !== undefined) {
      // The row as this process's own upsert returned it: reading it back would only cost a query.
      this.cooldownsTakenAsWritten += 1;
      for (const credential of objects) credential.cooldownUntilMs = written;
      return;
    }
    storedRestUntil(this.#db as DbOrTrx, credentialId).then(
      (untilMs) => {
        for (const credential of objects) credential.cooldownUntilMs = untilMs;
      },
      () => {
        if (this.snapshots.get(workspaceId) === snapshot) this.invalidate(workspaceId);
      },
    );
  }

  /**
   * Notes a rest this process has just stored (`untilMs` as the database returned it), right
   * before its cooldown event is published: the event then updates the snapshot without a read.
   * Under a 429 storm that read was one of the queries each upstream 429 cost.
   */
  cooldownWritten(credentialId: string, untilMs: number): void {
    if (!this.#db) return;
    this.#written.set(credentialId, untilMs);
    // Kept while the notice, published right after, reaches every local listener; then dropped.
    queueMicrotask(() => {
      if (this.#written.get(credentialId) === untilMs) this.#written.delete(credentialId);
    });
  }

  /**
   * The rest this process has just stored for a credential, while its notice is being delivered
   * (other listeners, such as the gateway's pinned keys, take it instead of reading the row);
   * undefined for a notice from another process.
   */
  restWritten(credentialId: string): number | undefined {
    return this.#written.get(credentialId);
  }

  /** Drops one workspace's snapshot (or every one); a load under way is not kept. */
  invalidate(workspaceId?: string): void {
    if (workspaceId) {
      this.generations.set(workspaceId, (this.generations.get(workspaceId) ?? 0) + 1);
      this.snapshots.delete(workspaceId);
      this.loading.delete(workspaceId);
    } else {
      for (const id of this.snapshots.keys()) this.generations.set(id, (this.generations.get(id) ?? 0) + 1);
      this.snapshots.clear();
      this.loading.clear();
    }
  }
}

// Unbounded memo keys would let callers grow memory with made-up names.
const MEMO_LIMIT = 10_000;

const cacheOf = (core: Core): ResolveCache => core.resolveCache;

/** Drops cached resolve state of one workspace (or all): for callers that changed rows outside the services. */
export function invalidateResolveCache(core: Core, workspaceId?: string): void {
  core.resolveCache.invalidate(workspaceId);
}

/** Decrypted values by credential id, for one snapshot: a key serving many models is opened once. */
type OpenedValues = Map<string, Promise<ResolvedCredential['values']>>;

async function buildEntry(
  core: Core,
  state: WorkspaceProviderState,
  model: ModelState,
  opened: OpenedValues,
  credentials: Snapshot['credentials'],
): Promise<Entry> {
  const label = `${model.provider}/${model.name}`;
  if (model.blocked) {
    const { status, reason } = model.blocked;
    return {
      result: undefined,
      error: () => new CoreError('PRECONDITION_FAILED', `${label} is ${status}: ${reason}`),
      label,
    };
  }
  const serving: (ResolvedCredential & { weight: number })[] = [];
  for (const { credential, weight } of model.serving) {
    const cooldown = state.cooldowns.get(credential.id);
    let values = opened.get(credential.id);
    if (!values) {
      core.resolveCache.decryptions++;
      values = openValues(core, core.db, credential).then((open) => Object.freeze(open));
      opened.set(credential.id, values);
    }
    serving.push({
      id: credential.id,
      values: await values,
      weight,
      cooldownUntilMs: cooldown ? Date.parse(cooldown.until) : 0,
    });
  }
  const first = serving[0] as ResolvedCredential & { weight: number };
  const credential = { id: first.id, values: first.values, cooldownUntilMs: first.cooldownUntilMs };
  const result: ResolvedModel = {
    provider: model.provider,
    model: model.name,
    type: model.type,
    pricing: model.pricing,
    credential,
    ...(serving.length > 1 ? { loadBalancing: { credentials: serving } } : {}),
  };
  for (const object of [credential, ...(serving.length > 1 ? serving : [])]) {
    const list = credentials.get(object.id);
    if (list) list.push(object);
    else credentials.set(object.id, [object]);
  }
  return {
    result,
    error: undefined,
    label,
  };
}

async function loadSnapshot(core: Core, workspaceId: string): Promise<Snapshot> {
  const state = await loadState(core, workspaceId);
  const exact = new Map<string, Entry>();
  const bare = new Map<string, Entry[]>();
  const opened: OpenedValues = new Map();
  const credentials: Snapshot['credentials'] = new Map();
  for (const model of state.models) {
    const entry = await buildEntry(core, state, model, opened, credentials);
    exact.set(modelKey(model.provider, model.type, model.name), entry);
    const key = `${model.type}\u0000${model.name}`;
    const list = bare.get(key);
    if (list) list.push(entry);
    else bare.set(key, [entry]);
  }
  const defaults = new Map<ModelType, Entry | (() => CoreError)>();
  const views = defaultViews(state, Date.now());
  for (const [type, view] of Object.entries(views) as [ModelType, (typeof views)[ModelType]][]) {
    if (!view) {
      defaults.set(
        type,
        () =>
          new CoreError(
            'PRECONDITION_FAILED',
            `No default ${type} model is set: set one in Default models, or name a model`,
          ),
      );
      continue;
    }
    const entry = exact.get(modelKey(view.provider, type, view.model));
    if (entry) defaults.set(type, entry);
    else {
      const { reason } = view;
      defaults.set(
        type,
        () =>
          new CoreError(
            'PRECONDITION_FAILED',
            `The default ${type} model ${view.provider}/${view.model} is unavailable: ${reason}`,
          ),
      );
    }
  }
  return { credentials, exact, bare, defaults, memo: new Map(), memoSize: 0 };
}

function lookup(
  snapshot: Snapshot,
  state: { type: ModelType; requested: string },
): Entry | (() => CoreError) {
  const { type, requested } = state;
  if (requested === '' || requested === 'default')
    return snapshot.defaults.get(type) as Entry | (() => CoreError);
  const slash = requested.indexOf('/');
  if (slash > 0) {
    const entry = snapshot.exact.get(modelKey(requested.slice(0, slash), type, requested.slice(slash + 1)));
    if (entry) return entry;
  }
  const matches = snapshot.bare.get(`${type}\u0000${requested}`);
  if (matches && matches.length === 1) return matches[0] as Entry;
  if (matches && matches.length > 1) {
    const names = matches.map((entry) => entry.label).join(', ');
    return () => badRequest(`"${requested}" is ambiguous; name it as provider/model: ${names}`);
  }
  return () =>
    notFound(`${type} model "${requested}" in this workspace (add it, or name it as provider/model)`);
}

function answer(found: Entry | (() => CoreError)): ResolvedModel {
  if (typeof found === 'function') throw found();
  if (found.error) throw found.error();
  // Keys that rest are still resolved, each with its `cooldownUntilMs`: the gateway answers 429 or
  // 503 with the Retry-After of the first to come back, which only it can compute.
  return found.result as ResolvedModel;
}

function resolveIn(snapshot: Snapshot, type: ModelType, requested: string | undefined): ResolvedModel {
  const name = requested ?? '';
  let byName = snapshot.memo.get(type);
  if (!byName) {
    byName = new Map();
    snapshot.memo.set(type, byName);
  }
  let found = byName.get(name);
  if (found === undefined) {
    found = lookup(snapshot, { type, requested: name });
    if (snapshot.memoSize < MEMO_LIMIT) {
      byName.set(name, found);
      snapshot.memoSize++;
    }
  }
  return answer(found);
}

/**
 * The model and credential the runtime should use for `requested` (`provider/model`, a
 * bare model name when only one provider has it, or absent / `default` for the
 * workspace default of `type`), or a CoreError saying what to fix. Served from an
 * in-memory snapshot per workspace, reloaded after any change event for it.
 */
export async function resolveModel(
  core: Core,
  workspaceId: string,
  type: ModelType,
  requested?: string,
): Promise<ResolvedModel> {
  const cache = cacheOf(core);
  const snapshot = cache.snapshots.get(workspaceId);
  if (snapshot) return resolveIn(snapshot, type, requested);
  return resolveIn(await loadWorkspaceSnapshot(core, cache, workspaceId), type, requested);
}

/** Synchronous hot path: the answer when the workspace's snapshot is loaded, undefined when it is not yet. */
export function resolveModelCached(
  core: Core,
  workspaceId: string,
  type: ModelType,
  requested?: string,
): ResolvedModel | undefined {
  const snapshot = cacheOf(core).snapshots.get(workspaceId);
  return snapshot ? resolveIn(snapshot, type, requested) : undefined;
}

async function loadWorkspaceSnapshot(
  core: Core,
  cache: ResolveCache,
  workspaceId: string,
): Promise<Snapshot> {
  const pending = cache.loading.get(workspaceId);
  if (pending) return pending;
  const generation = cache.generations.get(workspaceId) ?? 0;
  const loading = loadSnapshot(core, workspaceId);
  cache.loading.set(workspaceId, loading);
  try {
    const snapshot = await loading;
    // A change that arrived while loading makes this snapshot stale: use it once, do not keep it.
    if ((cache.generations.get(workspaceId) ?? 0) === generation) cache.snapshots.set(workspaceId, snapshot);
    return snapshot;
  } finally {
    if (cache.loading.get(workspaceId) === loading) cache.loading.delete(workspaceId);
  }
}
