import { messageOf } from './api';

/**
 * What a page shows for one request: the last value (kept while a refetch runs, so a change
 * notice does not blank the page), whether it is loading, and the error of the latest attempt.
 */
export class AsyncState<T> {
  value = $state<T | undefined>(undefined);
  error = $state<string | null>(null);
  loading = $state(true);
  #attempt = 0;

  /** Follows a request; an older one settling later is ignored. */
  follow(promise: Promise<T>): void {
    const attempt = ++this.#attempt;
    this.loading = true;
    promise.then(
      (value) => {
        if (attempt !== this.#attempt) return;
        this.value = value;
        this.error = null;
        this.loading = false;
      },
      (error: unknown) => {
        if (attempt !== this.#attempt) return;
        this.error = messageOf(error);
        this.loading = false;
      },
    );
  }
}
