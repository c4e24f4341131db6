import * as vscode from 'vscode';
import { allows } from '../connect/access.ts';
import type { Connected, Connection } from '../connect/connection.ts';
import { Disposable } from '../disposable.ts';
import type { Log } from '../log.ts';
import type { OwnSwitches } from '../switch/own-switches.ts';
import type { SnapshotChange, WorkspaceData } from '../workspace-data.ts';
import { type ActiveKeyChange, activeKeyChanges } from './key-changes.ts';

/** Who made an activation, from the audit log (only those who may manage read it); undefined when unknown. */
export async function whoActivated(connected: Connected, credentialId: string): Promise<string | undefined> {
  if (!allows(connected.access, 'manage')) return undefined;
  const workspaceId = connected.workspace.id;
  const [page, members] = await Promise.all([
    connected.client.audit.list.query({ workspaceId, limit: 20 }),
    connected.client.members.list.query({ workspaceId }),
  ]);
  const entry = page.entries.find(
    (row) => row.action === 'credential.activate' && row.targetId === credentialId,
  );
  if (!entry?.actorUserId) return undefined;
  if (entry.actorUserId === connected.user.id) return vscode.l10n.t('You (in another window or the console)');
  const member = members.find((candidate) => candidate.userId === entry.actorUserId);
  return member ? member.name || member.email : undefined;
}

/** The active key never changes silently: a notice names who switched what, unless this window did. */
export class KeyChangeNotifier extends Disposable {
  constructor(
    private readonly connection: Connection,
    data: WorkspaceData,
    private readonly own: OwnSwitches,
    private readonly log: Log,
  ) {
    super();
    this.register(data.onDidChange((change) => void this.#check(change)));
  }

  async #check(change: SnapshotChange): Promise<void> {
    if (!change.snapshot || !change.previous) return;
    const connected = this.connection.connected;
    if (!connected) return;
    for (const switched of activeKeyChanges(change.previous, change.snapshot)) {
      if (this.own.claim(switched.credentialId)) continue;
      let who: string | undefined;
      try {
        who = await whoActivated(connected, switched.credentialId);
      } catch (error) {
        this.log.warn(`who switched: ${error instanceof Error ? error.message : String(error)}`);
      }
      const message = noticeText(switched, who);
      this.log.info(message);
      void vscode.window.showInformationMessage(message);
    }
  }
}

/** The notice for a key switched elsewhere. */
export function noticeText(change: ActiveKeyChange, who: string | undefined): string {
  const actor = who ?? vscode.l10n.t('Someone');
  return change.previousName
    ? vscode.l10n.t(
        '{0} switched the active key of {1} from "{2}" to "{3}".',
        actor,
        change.targetLabel,
        change.previousName,
        change.name,
      )
    : vscode.l10n.t('{0} made "{1}" the active key of {2}.', actor, change.name, change.targetLabel);
}
