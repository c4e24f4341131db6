import * as vscode from 'vscode';
import { manageRefusal } from '../connect/access.ts';
import type { Connection } from '../connect/connection.ts';
import { Disposable } from '../disposable.ts';
import { describeFailure } from '../errors.ts';
import type { Log } from '../log.ts';
import type { NodeView } from '../tree/tree-model.ts';
import type { CredentialView, WorkspaceData } from '../workspace-data.ts';
import type { OwnSwitches } from './own-switches.ts';
import { maskedSecret, type SwitchTarget, switchTargets, targetOfCredential } from './switch-targets.ts';

/** A quick pick row for a key. */
export interface KeyPickItem extends vscode.QuickPickItem {
  credential: CredentialView;
}

/** The rows of the key quick pick: every key of the target, the active one marked. */
export function keyPickItems(target: SwitchTarget): KeyPickItem[] {
  return target.credentials.map((credential) => ({
    label: `${credential.active ? '$(check)' : '$(key)'} ${credential.name}`,
    description: [
      credential.active ? vscode.l10n.t('active') : undefined,
      maskedSecret(target.provider, credential),
    ]
      .filter(Boolean)
      .join(' · '),
    detail:
      credential.status === 'invalid'
        ? (credential.statusReason ?? vscode.l10n.t('invalid'))
        : credential.cooldownUntil
          ? vscode.l10n.t('resting until {0}', credential.cooldownUntil)
          : undefined,
    credential,
  }));
}

/**
 * Switch keys: from the palette (pick what, then which key), from a provider or model row
 * (pick the key), or from a key row (make it active). Always confirmed; the view updated.
 */
export class SwitchFeature extends Disposable {
  constructor(
    private readonly connection: Connection,
    private readonly data: WorkspaceData,
    private readonly own: OwnSwitches,
    private readonly log: Log,
  ) {
    super();
    this.register(
      vscode.commands.registerCommand('switchboard.switchKey', (node?: NodeView | SwitchTarget) =>
        this.switchKey(node && 'credentials' in node ? node : node?.target),
      ),
    );
    this.register(
      vscode.commands.registerCommand('switchboard.activateCredential', (node?: NodeView) =>
        node?.credential ? this.activate(node.credential) : this.switchKey(undefined),
      ),
    );
  }

  /** Picks a target (unless given) and a key of it, then activates it. Resolves with whether a key was switched. */
  async switchKey(given: SwitchTarget | undefined): Promise<boolean> {
    if (!this.#allowed()) return false;
    const snapshot = this.data.snapshot;
    if (!snapshot) return false;
    // The row may be older than the last read: use the target's current keys.
    const target = given
      ? (switchTargets(snapshot).find((candidate) => candidate.key === given.key) ?? given)
      : await this.#pickTarget(switchTargets(snapshot));
    if (!target) return false;
    const picked = await vscode.window.showQuickPick(keyPickItems(target), {
      title: vscode.l10n.t('Active key of {0}', target.label),
      placeHolder: vscode.l10n.t('Pick the key calls to {0} should use', target.label),
    });
    if (!picked) return false;
    return this.activate(picked.credential, target);
  }

  /** Confirms, then makes a credential the active one of its provider or model. */
  async activate(credential: CredentialView, given?: SwitchTarget): Promise<boolean> {
    if (!this.#allowed()) return false;
    const connected = this.connection.connected;
    const snapshot = this.data.snapshot;
    if (!connected || !snapshot) return false;
    const target = given ?? targetOfCredential(snapshot, credential.id);
    const label = target?.label ?? credential.provider;
    if (credential.active) {
      void vscode.window.showInformationMessage(
        vscode.l10n.t('"{0}" is already the active key of {1}.', credential.name, label),
      );
      return false;
    }
    const confirm = vscode.l10n.t('Switch');
    const answer = await vscode.window.showWarningMessage(
      vscode.l10n.t('Make "{0}" the active key of {1}?', credential.name, label),
      {
        modal: true,
        detail: vscode.l10n.t(
          'Every call of the workspace "{0}" to {1} uses it from now on (current: "{2}").',
          connected.workspace.name,
          label,
          target?.active?.name ?? vscode.l10n.t('none'),
        ),
      },
      confirm,
    );
    if (answer !== confirm) return false;
    this.own.expect(credential.id);
    try {
      await connected.client.credentials.activate.mutate({
        workspaceId: connected.workspace.id,
        credentialId: credential.id,
        version: credential.version,
      });
    } catch (error) {
      const failure = describeFailure(error, connected.serverUrl);
      this.log.error(`switch key of ${label}: ${failure.message}`);
      this.connection.reportFailure(error);
      void vscode.window.showErrorMessage(
        vscode.l10n.t('Could not switch the key of {0}: {1}', label, failure.message),
      );
      return false;
    }
    this.log.info(`switched the active key of ${label} to "${credential.name}"`);
    await this.data.refresh();
    void vscode.window.showInformationMessage(
      vscode.l10n.t('{0} now uses the key "{1}".', label, credential.name),
    );
    return true;
  }

  /** Connected and allowed to manage; else says why (the palette may still run the command). */
  #allowed(): boolean {
    const connected = this.connection.connected;
    if (!connected || !this.data.snapshot) {
      void vscode.window.showWarningMessage(vscode.l10n.t('Connect to a Switchboard server first.'));
      return false;
    }
    const refusal = manageRefusal(connected.access, connected.workspace.name);
    if (refusal) void vscode.window.showWarningMessage(refusal);
    return refusal === undefined;
  }

  async #pickTarget(targets: SwitchTarget[]): Promise<SwitchTarget | undefined> {
    const choices = targets.filter((target) => target.credentials.length > 1);
    if (choices.length === 0) {
      void vscode.window.showInformationMessage(
        vscode.l10n.t('No provider or model of this workspace has a second key to switch to.'),
      );
      return undefined;
    }
    if (choices.length === 1) return choices[0];
    const picked = await vscode.window.showQuickPick(
      choices.map((target) => ({
        label: target.label,
        description: target.active
          ? vscode.l10n.t('active: {0}', target.active.name)
          : vscode.l10n.t('no active key'),
        target,
      })),
      { title: vscode.l10n.t('Switch the active key of…') },
    );
    return picked?.target;
  }
}
