import { createSwitchboardClient } from '@switchboard/client';
import * as vscode from 'vscode';
import { Disposable } from '../disposable.ts';
import { describeFailure } from '../errors.ts';
import { onDidChangeServerUrl, serverUrl } from '../settings.ts';
import type { SessionStore, StoredSession } from './session-store.ts';

/** The authentication provider's id (`vscode.authentication.getSession('switchboard', [])`). */
export const AUTH_PROVIDER_ID = 'switchboard';

/** How a token is checked and the account found: `auth.me` on the server (injectable for tests). */
export type WhoAmI = (url: string, token: string) => Promise<{ userId: string; label: string }>;

/** Asks the server who a token belongs to. */
export const whoAmIOnServer: WhoAmI = async (url, token) => {
  const me = await createSwitchboardClient({ url, token }).auth.me.query();
  return { userId: me.user.id, label: me.user.email };
};

const TOKEN_PATTERN = /^sbp_[A-Za-z0-9_-]{8,}$/;

/**
 * Switchboard accounts in VS Code's Accounts menu: one session per server URL, made from a
 * personal access token the user pastes, kept by `SessionStore`.
 */
export class SwitchboardAuthProvider extends Disposable implements vscode.AuthenticationProvider {
  readonly #changes = this.register(
    new vscode.EventEmitter<vscode.AuthenticationProviderAuthenticationSessionsChangeEvent>(),
  );
  /** Fires when the session of the current server URL appears, goes, or the URL changes. */
  readonly onDidChangeSessions = this.#changes.event;
  #current: vscode.AuthenticationSession | undefined;

  constructor(
    private readonly store: SessionStore,
    private readonly whoAmI: WhoAmI = whoAmIOnServer,
  ) {
    super();
    this.register(
      vscode.authentication.registerAuthenticationProvider(AUTH_PROVIDER_ID, 'Switchboard', this),
    );
    this.register(store.onDidChange(() => void this.#announce()));
    this.register(onDidChangeServerUrl(() => void this.#announce()));
  }

  /** The stored session of the configured server, if any. */
  async current(): Promise<StoredSession | undefined> {
    return this.store.get(serverUrl());
  }

  async getSessions(): Promise<vscode.AuthenticationSession[]> {
    const stored = await this.current();
    return stored ? [toSession(stored)] : [];
  }

  /** Asks for a personal access token, checks it with the server, and keeps it. */
  async createSession(): Promise<vscode.AuthenticationSession> {
    const url = serverUrl();
    const token = await vscode.window.showInputBox({
      title: vscode.l10n.t('Sign in to Switchboard at {0}', url),
      prompt: vscode.l10n.t(
        'A personal access token (sbp_…): `pnpm switchboard token create`, or the console.',
      ),
      placeHolder: 'sbp_…',
      password: true,
      ignoreFocusOut: true,
      validateInput: (value) =>
        TOKEN_PATTERN.test(value.trim())
          ? undefined
          : vscode.l10n.t('A personal access token starts with sbp_'),
    });
    if (!token) throw new vscode.CancellationError();
    const stored = await this.signInWithToken(url, token.trim());
    return toSession(stored);
  }

  /** Checks a token against the server and keeps it; throws a message the user can act on. */
  async signInWithToken(url: string, token: string): Promise<StoredSession> {
    let account: { userId: string; label: string };
    try {
      account = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: vscode.l10n.t('Checking the token with {0}…', url),
        },
        () => this.whoAmI(url, token),
      );
    } catch (error) {
      throw new Error(describeFailure(error, url).message);
    }
    const stored: StoredSession = { token, serverUrl: url, ...account };
    await this.store.set(stored);
    await this.#announce();
    return stored;
  }

  async removeSession(): Promise<void> {
    await this.store.delete(serverUrl());
    await this.#announce();
  }

  /** Fires a change when the session of the configured server differs from the last one announced. */
  async #announce(): Promise<void> {
    let next: vscode.AuthenticationSession | undefined;
    try {
      const stored = await this.current();
      next = stored && toSession(stored);
    } catch {
      next = undefined;
    }
    const previous = this.#current;
    if (previous?.id === next?.id && previous?.accessToken === next?.accessToken) return;
    this.#current = next;
    this.#changes.fire({
      added: next && previous?.id !== next.id ? [next] : [],
      removed: previous && previous.id !== next?.id ? [previous] : [],
      changed: previous && next && previous.id === next.id ? [next] : [],
    });
  }
}

function toSession(stored: StoredSession): vscode.AuthenticationSession {
  return {
    id: `${stored.serverUrl}#${stored.userId}`,
    accessToken: stored.token,
    account: { id: stored.userId, label: stored.label },
    scopes: [],
  };
}
