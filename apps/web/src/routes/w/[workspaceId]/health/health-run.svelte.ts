import { type Credential, messageOf } from '$lib/api';
import { unbatchedApi } from '$lib/api-unbatched';

/** How many checks run at once: each is a real call to a provider, and providers rate-limit. */
export const CHECK_CONCURRENCY = 4;

/** One credential's check in this run. */
export interface CheckResult {
  state: 'queued' | 'checking' | 'done' | 'failed' | 'cancelled';
  /** Round trip of the check, measured here. */
  latencyMs: number | null;
  /** The credential as the server saved it after the check. */
  credential: Credential | null;
  /** Why the check could not run at all (not the provider's verdict, which is on the credential). */
  error: string | null;
}

/**
 * Checks credentials with a real call each (`credentials.revalidate`), at most
 * `CHECK_CONCURRENCY` at once, with progress and cancel. The server records each verdict: a
 * provider key that fails is marked rejected (its provider's models follow it), a custom
 * model's own key only that model.
 */
export class HealthRun {
  results = $state<Record<string, CheckResult>>({});
  running = $state(false);
  total = $state(0);
  done = $state(0);
  #controller: AbortController | null = null;

  constructor(
    /** The workspace whose keys this run checks. */
    readonly workspaceId: string,
  ) {}

  /** Checks `credentialIds`; resolves when all are checked or the run is cancelled. */
  async run(credentialIds: string[]): Promise<void> {
    if (this.running) return;
    const controller = new AbortController();
    this.#controller = controller;
    this.running = true;
    this.total = credentialIds.length;
    this.done = 0;
    for (const id of credentialIds) {
      this.results[id] = { state: 'queued', latencyMs: null, credential: null, error: null };
    }
    const queue = [...credentialIds];
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        if (controller.signal.aborted) break;
        await this.#check(id, controller.signal);
        this.done += 1;
      }
    };
    await Promise.all(Array.from({ length: Math.min(CHECK_CONCURRENCY, queue.length) }, worker));
    for (const id of credentialIds) {
      const result = this.results[id];
      if (result && (result.state === 'queued' || result.state === 'checking')) result.state = 'cancelled';
    }
    this.running = false;
    this.#controller = null;
  }

  /** Checks one credential on its own (a row's Check button). */
  checkOne(credentialId: string): Promise<void> {
    return this.run([credentialId]);
  }

  /** Stops the run: nothing new starts and checks in flight are abandoned. */
  cancel(): void {
    this.#controller?.abort();
  }

  async #check(credentialId: string, signal: AbortSignal): Promise<void> {
    const result = this.results[credentialId];
    if (!result) return;
    result.state = 'checking';
    const started = performance.now();
    try {
      const credential = await unbatchedApi.credentials.revalidate.mutate(
        { workspaceId: this.workspaceId, credentialId },
        { signal },
      );
      result.latencyMs = Math.round(performance.now() - started);
      result.credential = credential;
      result.state = 'done';
    } catch (error) {
      if (signal.aborted) {
        result.state = 'cancelled';
        return;
      }
      result.latencyMs = Math.round(performance.now() - started);
      result.error = messageOf(error);
      result.state = 'failed';
    }
  }
}
