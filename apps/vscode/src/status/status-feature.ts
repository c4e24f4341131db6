import * as vscode from 'vscode';
import type { Connection } from '../connect/connection.ts';
import { Disposable } from '../disposable.ts';
import type { WorkspaceData } from '../workspace-data.ts';
import { defaultChatStatus } from './status-text.ts';

/** The model a reply came from, shown in the status bar's tooltip (set by "Try a model"). */
export class LastServed {
  readonly #changes = new vscode.EventEmitter<void>();
  readonly onDidChange = this.#changes.event;
  #model: string | undefined;

  get model(): string | undefined {
    return this.#model;
  }

  set model(value: string | undefined) {
    this.#model = value;
    this.#changes.fire();
  }

  dispose(): void {
    this.#changes.dispose();
  }
}

/**
 * The status bar item: `provider · key name · model` of the default chat model; a click switches
 * its key when the principal may (else the item only shows).
 */
export class StatusFeature extends Disposable {
  readonly #item: vscode.StatusBarItem;

  constructor(
    private readonly connection: Connection,
    private readonly data: WorkspaceData,
    private readonly lastServed: LastServed,
  ) {
    super();
    this.#item = this.register(
      vscode.window.createStatusBarItem('switchboard.status', vscode.StatusBarAlignment.Right, 100),
    );
    this.#item.name = 'Switchboard';
    this.register(connection.onDidChange(() => this.#update()));
    this.register(data.onDidChange(() => this.#update()));
    this.register(lastServed.onDidChange(() => this.#update()));
    this.#update();
  }

  /** The item (for tests). */
  get item(): vscode.StatusBarItem {
    return this.#item;
  }

  #update(): void {
    const state = this.connection.state;
    const snapshot = this.data.snapshot;
    if (state.kind === 'connected' && snapshot) {
      const view = defaultChatStatus(snapshot, this.lastServed.model);
      this.#item.text = view.text;
      this.#item.tooltip = view.tooltip;
      this.#item.command = !snapshot.canManage
        ? undefined
        : view.target
          ? { title: vscode.l10n.t('Switch key'), command: 'switchboard.switchKey', arguments: [view.target] }
          : 'switchboard.switchKey';
      this.#item.backgroundColor = undefined;
      this.#item.show();
    } else if (state.kind === 'failed') {
      this.#item.text = `$(debug-disconnect) Switchboard`;
      this.#item.tooltip = state.failure.message;
      this.#item.command = 'switchboard.refresh';
      this.#item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
      this.#item.show();
    } else if (state.kind === 'signed-out') {
      this.#item.text = `$(plug) ${vscode.l10n.t('Switchboard: sign in')}`;
      this.#item.tooltip = vscode.l10n.t('Sign in to a Switchboard server');
      this.#item.command = 'switchboard.signIn';
      this.#item.backgroundColor = undefined;
      this.#item.show();
    } else if (state.kind === 'choosing-workspace') {
      this.#item.text = `$(plug) ${vscode.l10n.t('Switchboard: pick a workspace')}`;
      this.#item.tooltip = undefined;
      this.#item.command = 'switchboard.pickWorkspace';
      this.#item.backgroundColor = undefined;
      this.#item.show();
    } else {
      this.#item.text = `$(sync~spin) Switchboard`;
      this.#item.tooltip = undefined;
      this.#item.command = undefined;
      this.#item.show();
    }
  }
}
