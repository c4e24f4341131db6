import { createSwitchboardClient } from '@switchboard/client';
import * as vscode from 'vscode';
import { Disposable } from '../disposable.ts';
import { describeFailure } from '../errors.ts';
import { onDidChangeServerUrl, serverUrl } from '../settings.ts';
import type { SessionStore, StoredSession } from './session-store.ts';
import {
  askSignIn,
  describePasswordFailure,
  issueTokenOnServer,
  revokeTokenOnServer,
  type SignInMethod,
  type TokenIssuer,
  type TokenRevoker,
  tokenName,
} from './sign-in.ts';

/** The authentication provider's id (`vscode.authentication.getSession('switchboard', [])`). */
export const AUTH_PROVIDER_ID = 'switchboard';

/** How a token is checked and the account found: `auth.me` on the server (injectable for tests). */
export type WhoAmI = (url: string, token: string) => Promise<{ userId: string; label: string }>;

/** Asks the server who a token belongs to. */
export const whoAmIOnServer: WhoAmI = async (url, token) => {
  const me = await createSwitchboardClient({ url, token }).auth.me.query();
  return { userId: me.user.id, label: me.user.email };
};

/**
 * Switchboard accounts in VS Code's Accounts menu: one session per server URL, made from a
 * personal access token the user pastes or one the server makes from their email and password,
 * kept by `SessionStore`.
 */
export class SwitchboardAuthProvider extends Disposable implements vscode.AuthenticationProvider {
  readonly #changes = this.register(
    new vscode.EventEmitter<vscode.AuthenticationProviderAuthenticationSessionsChangeEvent>(),
  );
  /** Fires when the session of the current server URL appears, goes, or the URL changes. */
  readonly onDidChangeSessions = this.#changes.event;
  #current: vscode.AuthenticationSession | undefined;
  #lastMethod: SignInMethod | undefined;

  constructor(
    private readonly store: SessionStore,
    private readonly whoAmI: WhoAmI = whoAmIOnServer,
    private readonly issueToken: TokenIssuer = issueTokenOnServer,
    private readonly revokeToken: TokenRevoker = revokeTokenOnServer,
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

  /** Asks how to sign in (token, or email and password), signs in, and keeps the token. */
  async createSession(): Promise<vscode.AuthenticationSession> {
    const url = serverUrl();
    const answer = await askSignIn(url, this.#lastMethod);
    if (!answer) throw new vscode.CancellationError();
    this.#lastMethod = answer.method;
    const stored =
      answer.method === 'token'
        ? await this.signInWithToken(url, answer.token)
        : await this.signInWithPassword(url, answer.email, answer.password);
    return toSession(stored);
  }

  /**
   * Has the server make a personal access token for this editor from an email and password
   * (`auth.createToken`: named after the editor and machine, expiring, throttled), then signs in
   * with it. The password is sent once and kept nowhere.
   */
  async signInWithPassword(url: string, email: string, password: string): Promise<StoredSession> {
    let issued: { token: string; tokenId: string };
    try {
      issued = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: vscode.l10n.t('Signing in to {0} as {1}…', url, email),
        },
        () => this.issueToken(url, { email, password, name: tokenName() }),
      );
    } catch (error) {
      throw new Error(describePasswordFailure(error, url).message);
    }
    return this.signInWithToken(url, issued.token, issued.tokenId);
  }

  /**
   * Checks a token against the server and keeps it; throws a message the user can act on.
   * `tokenId` is given for a token this editor made, which signing out then revokes.
   */
  async signInWithToken(url: string, token: string, tokenId?: string): Promise<StoredSession> {
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
    const stored: StoredSession = { token, serverUrl: url, ...account, tokenId };
    await this.store.set(stored);
    await this.#announce();
    return stored;
  }

  /**
   * Forgets the session. A token this editor made (email and password) is revoked on the server
   * first, so sign-ins do not leave live tokens behind; one the user pasted stays theirs. When the
   * revoke fails the session goes anyway, and a warning names the token to revoke in the console.
   */
  async removeSession(): Promise<void> {
    const url = serverUrl();
    const stored = await this.store.get(url);
    let revokeFailure: string | undefined;
    if (stored?.tokenId) {
      try {
        await this.revokeToken(url, stored.token, stored.tokenId);
      } catch (error) {
        const failure = describeFailure(error, url);
        // A token the server no longer accepts needs no revoking.
        if (failure.kind !== 'unauthorized') revokeFailure = failure.message;
      }
    }
    await this.store.delete(url);
    await this.#announce();
    if (revokeFailure)
      void vscode.window.showWarningMessage(
        vscode.l10n.t(
          'Signed out. {0} The token "{1}" made for this editor stays valid until it expires: revoke it in the console.',
          revokeFailure,
          tokenName(),
        ),
      );
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
