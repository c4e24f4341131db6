import {
  type Core,
  deleteResponse,
  findResponse,
  findResponseItem,
  purgeExpiredResponses,
  type ResponseToSave,
  type StoredResponse,
  saveResponse,
} from '@switchboard/core';
import type { Logger } from '../../log.ts';

/** How often expired responses are deleted. */
const PURGE_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Keeps Responses API responses for later turns. Saving happens after the answer went out,
 * off the request path; a lookup first waits for the saves still in flight, so a client that
 * continues a conversation at once finds its previous response.
 */
export class ResponseArchive {
  readonly #core: Core;
  readonly #logger: Logger;
  readonly #saving = new Set<Promise<void>>();
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
    const saving = saveResponse(this.#core, response)
      .then(() => undefined)
      .catch((error: unknown) => {
        this.#logger.warn('storing a response failed', { workspaceId: response.workspaceId, error });
      })
      .finally(() => this.#saving.delete(saving));
    this.#saving.add(saving);
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
