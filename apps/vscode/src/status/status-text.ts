import * as vscode from 'vscode';
import { type SwitchTarget, targetOfModel } from '../switch/switch-targets.ts';
import type { Snapshot } from '../workspace-data.ts';

/** What the status bar item shows for a snapshot. */
export interface StatusView {
  text: string;
  tooltip: string;
  /** The keys a click switches (none for a principal that may not switch keys). */
  target: SwitchTarget | undefined;
}

/** `provider · key name · model` of the workspace's default chat model. */
export function defaultChatStatus(snapshot: Snapshot, lastServed?: string): StatusView {
  const lastLine = lastServed ? `\n${vscode.l10n.t('Last served: {0}', lastServed)}` : '';
  const entry = snapshot.defaults.llm;
  if (!entry)
    return {
      text: `$(plug) ${vscode.l10n.t('Switchboard: no default chat model')}`,
      tooltip: vscode.l10n.t('The workspace has no default chat model.') + lastLine,
      target: undefined,
    };
  const provider = snapshot.providers.find((candidate) => candidate.id === entry.provider);
  const model = snapshot.models.find(
    (candidate) =>
      candidate.provider === entry.provider && candidate.type === 'llm' && candidate.name === entry.model,
  );
  const keys = model ? targetOfModel(snapshot, model) : undefined;
  const key = keys?.credentials.find((credential) => credential.id === model?.credentialId) ?? keys?.active;
  const keyName = key?.name ?? vscode.l10n.t('no key');
  const icon = entry.status === 'active' ? '$(plug)' : '$(warning)';
  const statusLine = entry.status === 'active' ? '' : `\n${entry.reason}`;
  return {
    text: `${icon} ${provider?.label ?? entry.provider} · ${keyName} · ${entry.model}`,
    tooltip:
      (snapshot.canManage
        ? vscode.l10n.t(
            'Default chat model: {0}/{1}, key "{2}". Click to switch the key.',
            entry.provider,
            entry.model,
            keyName,
          )
        : vscode.l10n.t('Default chat model: {0}/{1}, key "{2}".', entry.provider, entry.model, keyName)) +
      statusLine +
      lastLine,
    target: snapshot.canManage ? keys : undefined,
  };
}
