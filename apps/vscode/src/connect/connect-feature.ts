import * as vscode from 'vscode';
import { Disposable } from '../disposable.ts';
import type { Log } from '../log.ts';
import type { WorkspaceData } from '../workspace-data.ts';
import type { SwitchboardAuthProvider } from './auth-provider.ts';
import type { Connection } from './connection.ts';

/** Sign in, sign out, workspace choice, refresh and the log: the commands of the connection. */
export class ConnectFeature extends Disposable {
  constructor(auth: SwitchboardAuthProvider, connection: Connection, data: WorkspaceData, log: Log) {
    super();
    this.register(
      vscode.commands.registerCommand('switchboard.signIn', async () => {
        try {
          await auth.createSession();
        } catch (error) {
          if (error instanceof vscode.CancellationError) return;
          const retry = vscode.l10n.t('Retry');
          const message = error instanceof Error ? error.message : String(error);
          log.error(`sign-in: ${message}`);
          if ((await vscode.window.showErrorMessage(message, retry)) === retry)
            await vscode.commands.executeCommand('switchboard.signIn');
        }
      }),
    );
    this.register(
      vscode.commands.registerCommand('switchboard.signOut', async () => {
        await auth.removeSession();
        log.info('signed out');
      }),
    );
    this.register(
      vscode.commands.registerCommand('switchboard.pickWorkspace', () => connection.connect({ pick: true })),
    );
    this.register(
      vscode.commands.registerCommand('switchboard.refresh', async () => {
        if (connection.connected) await data.refresh();
        else await connection.connect();
      }),
    );
    this.register(vscode.commands.registerCommand('switchboard.showLog', () => log.show()));
  }
}
