import * as vscode from 'vscode';

/** What the extension keeps of a sign-in, per server URL, in VS Code's secret storage. */
export interface StoredSession {
  /** The personal access token (`sbp_…`). */
  token: string;
  serverUrl: string;
  userId: string;
  /** The account's label in the Accounts menu (the user's email). */
  label: string;
  /** Set when this editor made the token (email and password sign-in): signing out revokes it. */
  tokenId?: string | undefined;
}

/** Secret storage refused to work (no OS keyring, typically): said as such, never as a sign-in failure. */
export class SecretStorageUnavailable extends Error {
  constructor(cause: unknown) {
    super(
      vscode.l10n.t(
        'VS Code cannot use its secret storage ({0}). Switchboard keeps tokens only there: set up the OS keyring (for example gnome-keyring or KWallet) and try again.',
        cause instanceof Error ? cause.message : String(cause),
      ),
    );
    this.name = 'SecretStorageUnavailable';
  }
}

const KEY_PREFIX = 'switchboard.session:';

/**
 * The one place tokens are read and written: `context.secrets`, one entry per server URL.
 * What this window wrote is also kept in memory, so reading right after a write never races
 * the storage (in code-server it lives in the browser); another window's change clears it.
 */
export class SessionStore {
  readonly #known = new Map<string, StoredSession | undefined>();

  constructor(private readonly secrets: vscode.SecretStorage) {}

  /** The stored session of a server, if any; a corrupt entry counts as none. */
  async get(serverUrl: string): Promise<StoredSession | undefined> {
    if (this.#known.has(serverUrl)) return this.#known.get(serverUrl);
    let raw: string | undefined;
    try {
      raw = await this.secrets.get(KEY_PREFIX + serverUrl);
    } catch (error) {
      throw new SecretStorageUnavailable(error);
    }
    if (!raw) return undefined;
    try {
      const value = JSON.parse(raw) as Partial<StoredSession>;
      if (typeof value.token !== 'string' || typeof value.userId !== 'string') return undefined;
      return {
        token: value.token,
        serverUrl,
        userId: value.userId,
        label: String(value.label ?? value.userId),
        tokenId: typeof value.tokenId === 'string' ? value.tokenId : undefined,
      };
    } catch {
      return undefined;
    }
  }

  async set(session: StoredSession): Promise<void> {
    try {
      await this.secrets.store(KEY_PREFIX + session.serverUrl, JSON.stringify(session));
    } catch (error) {
      throw new SecretStorageUnavailable(error);
    }
    this.#known.set(session.serverUrl, session);
  }

  async delete(serverUrl: string): Promise<void> {
    try {
      await this.secrets.delete(KEY_PREFIX + serverUrl);
    } catch (error) {
      throw new SecretStorageUnavailable(error);
    }
    this.#known.set(serverUrl, undefined);
  }

  /** Fires with the server URL whose entry changed (also from another window). */
  onDidChange(listener: (serverUrl: string) => void): vscode.Disposable {
    return this.secrets.onDidChange((event) => {
      if (!event.key.startsWith(KEY_PREFIX)) return;
      const serverUrl = event.key.slice(KEY_PREFIX.length);
      // Possibly another window's write: read the storage again next time.
      this.#known.delete(serverUrl);
      listener(serverUrl);
    });
  }
}
