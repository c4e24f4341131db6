import * as vscode from 'vscode';
import type { Connection } from '../connect/connection.ts';
import { Disposable } from '../disposable.ts';
import type { WorkspaceData } from '../workspace-data.ts';
import { buildTree, type NodeView } from './tree-model.ts';

/** The view's id in `contributes.views`. */
export const PROVIDERS_VIEW = 'switchboard.providers';

/** The Switchboard view: rebuilt from each snapshot; its message says what is missing. */
export class TreeFeature extends Disposable implements vscode.TreeDataProvider<NodeView> {
  readonly #changes = this.register(new vscode.EventEmitter<NodeView | undefined>());
  readonly onDidChangeTreeData = this.#changes.event;
  #roots: NodeView[] = [];
  readonly #view: vscode.TreeView<NodeView>;

  constructor(
    private readonly connection: Connection,
    private readonly data: WorkspaceData,
  ) {
    super();
    this.#view = this.register(
      vscode.window.createTreeView(PROVIDERS_VIEW, { treeDataProvider: this, showCollapseAll: true }),
    );
    this.register(data.onDidChange(() => this.#update()));
    this.register(connection.onDidChange(() => this.#update()));
    this.#update();
  }

  /** The rows shown now (for tests and the e2e probe). */
  get roots(): readonly NodeView[] {
    return this.#roots;
  }

  getTreeItem(node: NodeView): vscode.TreeItem {
    const item = new vscode.TreeItem(
      node.label,
      node.children && node.children.length > 0
        ? node.expanded
          ? vscode.TreeItemCollapsibleState.Expanded
          : vscode.TreeItemCollapsibleState.Collapsed
        : vscode.TreeItemCollapsibleState.None,
    );
    item.id = node.id;
    item.description = node.description;
    item.tooltip = node.tooltip;
    item.contextValue = node.contextValue;
    if (node.icon)
      item.iconPath = new vscode.ThemeIcon(
        node.icon.id,
        node.icon.color ? new vscode.ThemeColor(node.icon.color) : undefined,
      );
    return item;
  }

  getChildren(node?: NodeView): NodeView[] {
    return node ? (node.children ?? []) : this.#roots;
  }

  #update(): void {
    const state = this.connection.state;
    const snapshot = this.data.snapshot;
    this.#roots = state.kind === 'connected' && snapshot ? buildTree(snapshot) : [];
    this.#view.message = messageFor(this.connection, snapshot !== undefined);
    this.#view.description = state.kind === 'connected' ? state.connected.workspace.name : undefined;
    this.#changes.fire(undefined);
  }
}

function messageFor(connection: Connection, loaded: boolean): string | undefined {
  const state = connection.state;
  switch (state.kind) {
    case 'signed-out':
      return undefined; // the welcome view offers Sign In
    case 'connecting':
      return vscode.l10n.t('Connecting…');
    case 'choosing-workspace':
      return vscode.l10n.t('Pick a workspace: Switchboard: Pick Workspace.');
    case 'failed':
      return state.failure.message;
    case 'connected':
      return loaded ? undefined : vscode.l10n.t('Loading…');
  }
}
