import type { ResolvedModel } from '@switchboard/core';

/** How long a provider's "no such model" stands without a new call to confirm or refute it. */
const MISSING_FOR_MS = 10 * 60_000;

/** A model its provider answered 404 for. */
export interface MissingModel {
  /** The provider's own words. */
  message: string;
  untilMs: number;
}

/**
 * Models a provider answered "model not found" for, per workspace: a failure of the model, never
 * of the key (the key goes on serving the provider's other models). `/v1/models` leaves them out
 * while the mark stands; the next call still goes to the provider, and a success clears it.
 */
export class MissingModels {
  readonly #marks = new Map<string, MissingModel>();

  /** Marks a model after its provider answered 404 for it. */
  mark(workspaceId: string, model: ResolvedModel, message: string, nowMs: number): void {
    this.#marks.set(key(workspaceId, model.provider, model.model), {
      message,
      untilMs: nowMs + MISSING_FOR_MS,
    });
  }

  /** Clears a model's mark after the provider answered for it. */
  found(workspaceId: string, model: ResolvedModel): void {
    // Nearly always empty: no key to build on the hot path.
    if (this.#marks.size > 0) this.#marks.delete(key(workspaceId, model.provider, model.model));
  }

  /** The standing mark of `provider/name`, if any. */
  get(workspaceId: string, provider: string, name: string, nowMs: number): MissingModel | undefined {
    const mark = this.#marks.get(key(workspaceId, provider, name));
    if (mark && mark.untilMs <= nowMs) {
      this.#marks.delete(key(workspaceId, provider, name));
      return undefined;
    }
    return mark;
  }
}

const key = (workspaceId: string, provider: string, name: string) =>
  `${workspaceId}\u0000${provider}\u0000${name}`;
