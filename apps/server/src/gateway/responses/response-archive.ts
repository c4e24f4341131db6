import {
  type Core,
  deleteResponse,
  findResponse,
  findResponseItem,
  purgeExpiredResponses,
  type ResponseToSave,
  type StoredResponse,
  saveResponse,
  saveResponses,
} from '@switchboard/core';
import type { Logger } from '../../log.ts';

/** How often expired responses are deleted. */
const PURGE_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Keeps Responses API responses for later turns. Saving happens off the request path: the
 * responses finished in one turn of the event loop are saved together, in one transaction at its
 * end. A lookup first waits for the saves queued or in flight, so a client that continues a
 * conversation at once finds its previous response.
 */
export class ResponseArchive {
  readonly #core: Core;
  readonly #logger: Logger;
  readonly #saving = new Set<Promise<void>>();
  /** Responses finished in this turn of the event loop, saved together at its end. */
  #queued: ResponseToSave[] = [];
  readonly #purging: NodeJS.Timeout;

  constructor(core: Core, logger: Logger) {
    this.#core = core;
    this.#logger = logger;
    // Expired responses are unreadable at once (lookups check the expiry); the purge frees the space.
    this.#purging = setInterval(() => this.purge(), PURGE_INTERVAL_MS).unref();
  }

  /** Deletes expired responses now (also run every hour). */
  async purge(): Promise<void> {
    try {
      const deleted = await purgeExpiredResponses(this.#core);
      if (deleted > 0) this.#logger.info('expired responses deleted', { count: deleted });
    } catch (error) {
      this.#logger.warn('deleting expired responses failed; will retry', { error });
    }
  }

  /** Saves a finished response in the background (a failure is logged: the client has its answer). */
  save(response: ResponseToSave): void {
    if (this.#queued.push(response) > 1) return;
    const saving = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.#saveQueued())
      .finally(() => this.#saving.delete(saving));
    this.#saving.add(saving);
  }

  /** Saves the queued responses in one transaction; when it fails, each alone, so one bad response loses only itself. */
  async #saveQueued(): Promise<void> {
    const batch = this.#queued;
    this.#queued = [];
    try {
      await saveResponses(this.#core, batch);
      return;
    } catch (error) {
      if (batch.length === 1) return this.#failed(batch[0] as ResponseToSave, error);
    }
    for (const response of batch) {
      try {
        await saveResponse(this.#core, response);
      } catch (error) {
        this.#failed(response, error);
      }
    }
  }

  #failed(response: ResponseToSave, error: unknown): void {
    this.#logger.warn('storing a response failed', { workspaceId: response.workspaceId, error });
  }

  /** A stored response of the workspace. */
  async find(workspaceId: string, id: string): Promise<StoredResponse | undefined> {
    await this.settle();
    return findResponse(this.#core, workspaceId, id);
  }

  /** A stored output item of the workspace, by id. */
  async item(workspaceId: string, id: string): Promise<unknown> {
    await this.settle();
    return findResponseItem(this.#core, workspaceId, id);
  }

  /** Deletes a stored response; false when there was none. */
  async delete(workspaceId: string, id: string): Promise<boolean> {
    await this.settle();
    return deleteResponse(this.#core, workspaceId, id);
  }

  /** Resolves when every save begun so far has finished. */
  async settle(): Promise<void> {
    if (this.#saving.size > 0) await Promise.all([...this.#saving]);
  }

  /** Stops the purge and waits for pending saves (graceful shutdown). */
  async close(): Promise<void> {
    clearInterval(this.#purging);
    await this.settle();
  }
}
