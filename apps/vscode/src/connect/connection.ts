import { createSwitchboardClient, type RouterOutputs, type SwitchboardClient } from '@switchboard/client';
import * as vscode from 'vscode';
import { Disposable } from '../disposable.ts';
import { describeFailure, type Failure } from '../errors.ts';
import type { Log } from '../log.ts';
import { type Access, accessOf, allows, CAN_MANAGE_CONTEXT, sameAccess } from './access.ts';
import type { SwitchboardAuthProvider } from './auth-provider.ts';

type Me = RouterOutputs['auth']['me'];
/** A workspace the user belongs to, with their role in it. */
export type Membership = Me['workspaces'][number];

/** A connection to one workspace of one server, for one user. */
export interface Connected {
  serverUrl: string;
  /** The personal access token: for the gateway's Authorization header only, never logged. */
  token: string;
  client: SwitchboardClient;
  user: Me['user'];
  workspace: Membership['workspace'];
  /** The role and token scopes in this workspace, and what they allow together. */
  access: Access;
  /** Every workspace of the user (for the picker). */
  workspaces: Membership[];
}

/** Where the extension stands with the server. */
export type ConnectionState =
  | { kind: 'signed-out' }
  | { kind: 'connecting' }
  | { kind: 'choosing-workspace'; workspaces: Membership[] }
  | { kind: 'connected'; connected: Connected }
  | { kind: 'failed'; failure: Failure };

/** Makes the typed client (injectable so tests can count calls or use another fetch). */
export type ClientFactory = (url: string, token: string) => SwitchboardClient;

const defaultClientFactory: ClientFactory = (url, token) => createSwitchboardClient({ url, token });

/**
 * Signs in from the stored session, finds the user's workspaces and picks one (remembered per
 * VS Code workspace), and reports failures with a Retry. Everything else follows its state.
 */
export class Connection extends Disposable {
  readonly #changes = this.register(new vscode.EventEmitter<ConnectionState>());
  /** Fires with every new state. */
  readonly onDidChange = this.#changes.event;
  #state: ConnectionState = { kind: 'signed-out' };
  /** Each connect attempt's number: an older attempt finishing late changes nothing. */
  #attempt = 0;
  /** The access read in progress: reads run one after another, so the last notice's read wins. */
  #accessRead: Promise<void> = Promise.resolve();

  constructor(
    private readonly auth: SwitchboardAuthProvider,
    private readonly memento: vscode.Memento,
    private readonly log: Log,
    private readonly createClient: ClientFactory = defaultClientFactory,
  ) {
    super();
    this.register(auth.onDidChangeSessions(() => void this.connect()));
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** The connection when connected, else undefined. */
  get connected(): Connected | undefined {
    return this.#state.kind === 'connected' ? this.#state.connected : undefined;
  }

  /**
   * (Re)connects from the stored session. `pick` asks for the workspace even when one is
   * remembered. Never throws: failures become the `failed` state and a message with Retry.
   */
  async connect(options: { pick?: boolean } = {}): Promise<ConnectionState> {
    const attempt = ++this.#attempt;
    const current = () => attempt === this.#attempt;
    let url = '';
    try {
      const stored = await this.auth.current();
      if (!current()) return this.#state;
      if (!stored) return this.#set({ kind: 'signed-out' });
      url = stored.serverUrl;
      this.#set({ kind: 'connecting' });
      const client = this.createClient(stored.serverUrl, stored.token);
      const me = await client.auth.me.query();
      if (!current()) return this.#state;
      if (me.workspaces.length === 0)
        return this.#fail({
          kind: 'invalid',
          message: vscode.l10n.t('{0} belongs to no workspace on {1}.', me.user.email, stored.serverUrl),
        });
      const memoryKey = `switchboard.workspace:${stored.serverUrl}:${me.user.id}`;
      const remembered = this.memento.get<string>(memoryKey);
      let chosen = options.pick
        ? undefined
        : me.workspaces.find((entry) => entry.workspace.id === remembered);
      if (!chosen && me.workspaces.length === 1 && !options.pick) chosen = me.workspaces[0];
      if (!chosen) {
        this.#set({ kind: 'choosing-workspace', workspaces: me.workspaces });
        chosen = await pickWorkspace(me.workspaces, remembered);
        if (!current()) return this.#state;
        if (!chosen) {
          // Cancelled: a previous choice still stands, else the view offers the picker.
          const previous = me.workspaces.find((entry) => entry.workspace.id === remembered);
          if (!previous) return this.#state;
          chosen = previous;
        }
      }
      await this.memento.update(memoryKey, chosen.workspace.id);
      this.log.info(
        `connected to ${stored.serverUrl} as ${me.user.email}, workspace ${chosen.workspace.name}`,
      );
      return this.#set({
        kind: 'connected',
        connected: {
          serverUrl: stored.serverUrl,
          token: stored.token,
          client,
          user: me.user,
          workspace: chosen.workspace,
          access: accessOf(chosen, me.scopes),
          workspaces: me.workspaces,
        },
      });
    } catch (error) {
      if (!current()) return this.#state;
      return this.#fail(url ? describeFailure(error, url) : { kind: 'other', message: messageOf(error) });
    }
  }

  /**
   * Reads the role and token scopes again (after a member or workspace notice of the change
   * feed): the context keys, menus and views follow. Removed from the workspace: connects anew.
   */
  refreshAccess(): Promise<void> {
    const read = this.#accessRead.then(() => this.#readAccess());
    this.#accessRead = read;
    return read;
  }

  async #readAccess(): Promise<void> {
    const connected = this.connected;
    if (!connected) return;
    const attempt = this.#attempt;
    const current = () => attempt === this.#attempt && this.connected === connected;
    let me: Me;
    try {
      me = await connected.client.auth.me.query();
    } catch (error) {
      if (current()) this.reportFailure(error);
      return;
    }
    if (!current()) return;
    const entry = me.workspaces.find((candidate) => candidate.workspace.id === connected.workspace.id);
    if (!entry) {
      this.log.info(`no longer a member of ${connected.workspace.name}`);
      await this.connect();
      return;
    }
    const access = accessOf(entry, me.scopes);
    if (sameAccess(access, connected.access) && entry.workspace.name === connected.workspace.name) return;
    this.log.info(`access to ${entry.workspace.name}: ${access.role}, may ${access.permissions.join(', ')}`);
    this.#set({
      kind: 'connected',
      connected: { ...connected, workspace: entry.workspace, access, workspaces: me.workspaces },
    });
  }

  /** Reports a failure seen while connected (token revoked, server gone): the state becomes `failed`. */
  reportFailure(error: unknown): void {
    const connected = this.connected;
    if (!connected) return;
    const failure = describeFailure(error, connected.serverUrl);
    if (failure.kind === 'unauthorized' || failure.kind === 'unreachable') {
      this.#attempt++;
      this.#fail(failure);
    }
  }

  #fail(failure: Failure): ConnectionState {
    this.log.error(failure.message);
    const state = this.#set({ kind: 'failed', failure });
    void this.#offerRetry(failure);
    return state;
  }

  async #offerRetry(failure: Failure): Promise<void> {
    const retry = vscode.l10n.t('Retry');
    const signIn = vscode.l10n.t('Sign In');
    const settings = vscode.l10n.t('Open Settings');
    const actions =
      failure.kind === 'unauthorized'
        ? [retry, signIn]
        : failure.kind === 'unreachable'
          ? [retry, settings]
          : [retry];
    const choice = await vscode.window.showErrorMessage(failure.message, ...actions);
    if (choice === retry) await this.connect();
    else if (choice === signIn) await vscode.commands.executeCommand('switchboard.signIn');
    else if (choice === settings)
      await vscode.commands.executeCommand('workbench.action.openSettings', 'switchboard.serverUrl');
  }

  #set(state: ConnectionState): ConnectionState {
    this.#state = state;
    void vscode.commands.executeCommand('setContext', 'switchboard.signedIn', state.kind !== 'signed-out');
    void vscode.commands.executeCommand('setContext', 'switchboard.connected', state.kind === 'connected');
    void vscode.commands.executeCommand(
      'setContext',
      CAN_MANAGE_CONTEXT,
      state.kind === 'connected' && allows(state.connected.access, 'manage'),
    );
    this.#changes.fire(state);
    return state;
  }
}

/** A quick pick of the user's workspaces, the remembered one first. */
async function pickWorkspace(
  workspaces: Membership[],
  remembered: string | undefined,
): Promise<Membership | undefined> {
  const items = workspaces
    .map((entry) => ({
      label: entry.workspace.name,
      description: entry.role,
      detail: entry.workspace.id === remembered ? vscode.l10n.t('current') : undefined,
      entry,
    }))
    .sort(
      (a, b) => Number(b.entry.workspace.id === remembered) - Number(a.entry.workspace.id === remembered),
    );
  const picked = await vscode.window.showQuickPick(items, {
    title: vscode.l10n.t('Switchboard workspace'),
    placeHolder: vscode.l10n.t('Pick the workspace this VS Code workspace uses'),
    ignoreFocusOut: true,
  });
  return picked?.entry;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
