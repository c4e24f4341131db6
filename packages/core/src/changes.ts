/** What kind of thing changed in a workspace; clients refetch what they show of it. */
export type ChangeKind =
  | 'workspace'
  | 'member'
  | 'api-key'
  | 'provider'
  | 'credential'
  | 'model'
  | 'default'
  | 'load-balancing'
  | 'cooldown'
  /** The master key was rotated: servers re-read their keys (not about any one workspace). */
  | 'master-key'
  /** A sign-in ended (token revoked, session ended, password reset): long-lived streams check theirs. */
  | 'sign-in';

/**
 * Workspace id of a `master-key` notice: it concerns no workspace, so no workspace's
 * subscribers receive it (an empty string is never a workspace id).
 */
export const MASTER_KEY_CHANGE_SCOPE = '';

/** Workspace id of a `sign-in` notice: a user's sign-in belongs to no workspace, so no workspace's subscribers receive it. */
export const SIGN_IN_CHANGE_SCOPE = '';

/** A change notice: which workspace, what kind, which record. Never carries data or secrets. */
export interface ChangeEvent {
  workspaceId: string;
  kind: ChangeKind;
  /** Id of the record that changed, when there is one. */
  id: string | null;
  /** The audited action (`credential.activate`), or a runtime event (`cooldown.start`). */
  action: string;
  at: string;
}

export type ChangeListener = (event: ChangeEvent) => void;

/**
 * In-process fan-out of change notices. Services publish after their transaction
 * commits. Cross-process delivery (PostgreSQL LISTEN/NOTIFY, SQLite data_version)
 * plugs in through `setTransport`.
 */
export class ChangeBus {
  readonly #listeners = new Set<ChangeListener>();
  #transport: ((event: ChangeEvent) => void) | undefined;

  /** Delivers to local listeners, and to other processes through the transport when one is set. */
  publish(event: ChangeEvent): void {
    this.deliver(event);
    this.#transport?.(event);
  }

  /** Delivers an event that came from elsewhere (another process) to local listeners only. */
  deliver(event: ChangeEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  subscribe(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  setTransport(send: ((event: ChangeEvent) => void) | undefined): void {
    this.#transport = send;
  }
}
