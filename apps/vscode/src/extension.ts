import type * as vscode from 'vscode';
import { SwitchboardAuthProvider } from './connect/auth-provider.ts';
import { ConnectFeature } from './connect/connect-feature.ts';
import { Connection } from './connect/connection.ts';
import { SessionStore } from './connect/session-store.ts';
import { type LanguageModelApi, LanguageModelFeature } from './lm/language-model-feature.ts';
import { createLog } from './log.ts';
import { ManageFeature } from './manage/manage-feature.ts';
import { KeyChangeNotifier } from './status/key-change-notifier.ts';
import { LastServed, StatusFeature } from './status/status-feature.ts';
import { OwnSwitches } from './switch/own-switches.ts';
import { SwitchFeature } from './switch/switch-feature.ts';
import { TreeFeature } from './tree/tree-feature.ts';
import { TryFeature } from './try/try-feature.ts';
import { WorkspaceData } from './workspace-data.ts';

/** The parts of the running extension (tests drive them directly). */
export interface Extension {
  auth: SwitchboardAuthProvider;
  connection: Connection;
  data: WorkspaceData;
  tree: TreeFeature;
  switcher: SwitchFeature;
  status: StatusFeature;
  tryModel: TryFeature;
  manage: ManageFeature;
  languageModels: LanguageModelFeature;
}

/** The part of `ExtensionContext` the extension uses. */
export type ExtensionContextParts = Pick<
  vscode.ExtensionContext,
  'secrets' | 'workspaceState' | 'subscriptions'
>;

/** What tests replace: VS Code's language model API (absent before 1.104). */
export interface ExtensionOptions {
  lm?: LanguageModelApi;
}

/** Creates every feature; each one's disposables end up in `context.subscriptions`. */
export function createExtension(context: ExtensionContextParts, options: ExtensionOptions = {}): Extension {
  const keep = <T extends vscode.Disposable>(disposable: T): T => {
    context.subscriptions.push(disposable);
    return disposable;
  };
  const log = keep(createLog());
  const auth = keep(new SwitchboardAuthProvider(new SessionStore(context.secrets)));
  const connection = keep(new Connection(auth, context.workspaceState, log));
  const data = keep(new WorkspaceData(connection, log));
  const own = new OwnSwitches();
  const lastServed = keep(new LastServed());
  keep(new ConnectFeature(auth, connection, data, log));
  const tree = keep(new TreeFeature(connection, data));
  const switcher = keep(new SwitchFeature(connection, data, own, log));
  const status = keep(new StatusFeature(connection, data, lastServed));
  keep(new KeyChangeNotifier(connection, data, own, log));
  const tryModel = keep(new TryFeature(connection, () => data.snapshot, lastServed, log));
  const manage = keep(new ManageFeature(connection, data, log));
  const languageModels = keep(new LanguageModelFeature(connection, data, log, options.lm));
  return { auth, connection, data, tree, switcher, status, tryModel, manage, languageModels };
}

/**
 * Nothing here waits on the network: the first connect runs in the background and the views
 * follow its state.
 */
export function activate(context: vscode.ExtensionContext): void {
  const extension = createExtension(context);
  void extension.connection.connect();
}

export function deactivate(): void {}
