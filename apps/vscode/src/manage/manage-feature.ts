import { MODEL_TYPES, type ModelType } from '@switchboard/client';
import * as vscode from 'vscode';
import { manageRefusal } from '../connect/access.ts';
import type { Connected, Connection } from '../connect/connection.ts';
import { Disposable } from '../disposable.ts';
import { describeFailure } from '../errors.ts';
import type { Log } from '../log.ts';
import { targetOfCredential } from '../switch/switch-targets.ts';
import { type NodeView, TYPE_LABELS } from '../tree/tree-model.ts';
import type { ModelView, ProviderView, Snapshot, WorkspaceData } from '../workspace-data.ts';
import { askForm } from './credential-form.ts';
import { askPrice } from './model-price.ts';

/** Models that may become the default of `type`: enabled, of that type, able to answer now. */
export function defaultCandidates(snapshot: Snapshot, type: string): ModelView[] {
  return snapshot.models.filter(
    (model) =>
      model.type === type && model.enabled && (model.status === 'active' || model.status === 'cooling-down'),
  );
}

/**
 * What owners and admins change from the editor: default models, enabling models, adding,
 * renaming, testing and deleting keys, adding custom models. The menus hide these from
 * everyone else and from tokens without the `manage` scope (the rows carry the `manage` tag,
 * the palette tests `switchboard.canManage`), the handlers refuse early, and the server anyway.
 */
export class ManageFeature extends Disposable {
  constructor(
    private readonly connection: Connection,
    private readonly data: WorkspaceData,
    private readonly log: Log,
  ) {
    super();
    const command = (id: string, handler: (node?: NodeView) => Promise<unknown>) =>
      this.register(vscode.commands.registerCommand(id, handler));
    command('switchboard.setDefaultModel', (node) => this.setDefaultModel(node));
    command('switchboard.enableModel', (node) => this.setEnabled(node, true));
    command('switchboard.disableModel', (node) => this.setEnabled(node, false));
    command('switchboard.addCredential', (node) => this.addCredential(node));
    command('switchboard.renameCredential', (node) => this.renameCredential(node));
    command('switchboard.removeCredential', (node) => this.removeCredential(node));
    command('switchboard.testCredential', (node) => this.testCredential(node));
    command('switchboard.addCustomModel', (node) => this.addCustomModel(node));
  }

  /** Sets the default of a type: from a default row (that type), a model row (that model), or the palette. */
  async setDefaultModel(node?: NodeView): Promise<boolean> {
    return this.#admin(vscode.l10n.t('set the default model'), async (connected, snapshot) => {
      let type = (node?.defaultType ?? node?.model?.type) as ModelType | undefined;
      if (!type) {
        const picked = await vscode.window.showQuickPick(
          MODEL_TYPES.map((candidate) => ({
            label: TYPE_LABELS[candidate] ?? candidate,
            description: snapshot.defaults[candidate]
              ? `${snapshot.defaults[candidate]?.provider}/${snapshot.defaults[candidate]?.model}`
              : vscode.l10n.t('not set'),
            type: candidate,
          })),
          { title: vscode.l10n.t('Default model of which type?') },
        );
        if (!picked) return false;
        type = picked.type;
      }
      let model = node?.model;
      if (!model) {
        const candidates = defaultCandidates(snapshot, type);
        if (candidates.length === 0) {
          void vscode.window.showInformationMessage(
            vscode.l10n.t('No {0} model of this workspace can answer now.', TYPE_LABELS[type] ?? type),
          );
          return false;
        }
        const current = snapshot.defaults[type];
        const picked = await vscode.window.showQuickPick(
          candidates.map((candidate) => ({
            label: `${candidate.provider}/${candidate.name}`,
            description:
              current?.provider === candidate.provider && current.model === candidate.name
                ? vscode.l10n.t('current default')
                : undefined,
            model: candidate,
          })),
          { title: vscode.l10n.t('Default {0} model', TYPE_LABELS[type] ?? type) },
        );
        if (!picked) return false;
        model = picked.model;
      }
      await connected.client.defaults.set.mutate({
        workspaceId: connected.workspace.id,
        provider: model.provider,
        model: { name: model.name, type },
        version: snapshot.defaults[type]?.version ?? 0,
      });
      return vscode.l10n.t(
        'The default {0} model is now {1}/{2}.',
        TYPE_LABELS[type] ?? type,
        model.provider,
        model.name,
      );
    });
  }

  /** Enables or disables the model of a model row. */
  async setEnabled(node: NodeView | undefined, enabled: boolean): Promise<boolean> {
    const model = node?.model;
    if (!model) return false;
    return this.#admin(vscode.l10n.t('change {0}', model.name), async (connected) => {
      const input = {
        workspaceId: connected.workspace.id,
        provider: model.provider,
        model: { name: model.name, type: model.type },
        version: model.version,
      };
      if (enabled) await connected.client.models.enable.mutate(input);
      else await connected.client.models.disable.mutate(input);
      return enabled
        ? vscode.l10n.t('{0}/{1} is enabled.', model.provider, model.name)
        : vscode.l10n.t('{0}/{1} is disabled.', model.provider, model.name);
    });
  }

  /** Adds a key to a provider through its credential form; the server checks it with the provider first. */
  async addCredential(node?: NodeView): Promise<boolean> {
    return this.#admin(vscode.l10n.t('add the key'), async (connected, snapshot) => {
      const provider = node?.provider ?? (await pickProvider(snapshot, vscode.l10n.t('Add a key to…')));
      if (!provider) return false;
      const name = await vscode.window.showInputBox({
        title: vscode.l10n.t('New key of {0}', provider.label),
        prompt: vscode.l10n.t('A name for the key (empty: API key N)'),
        ignoreFocusOut: true,
      });
      if (name === undefined) return false;
      const values = await askForm(
        provider.providerCredentialForm,
        vscode.l10n.t('New key of {0}', provider.label),
      );
      if (!values) return false;
      const created = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: vscode.l10n.t('Checking the key with {0}…', provider.label),
        },
        () =>
          connected.client.credentials.create.mutate({
            workspaceId: connected.workspace.id,
            provider: provider.id,
            name: name.trim() || undefined,
            values,
          }),
      );
      return vscode.l10n.t('Key "{0}" added to {1}.', created.name, provider.label);
    });
  }

  /** Renames the key of a key row. */
  async renameCredential(node?: NodeView): Promise<boolean> {
    const credential = node?.credential;
    if (!credential) return false;
    return this.#admin(vscode.l10n.t('rename "{0}"', credential.name), async (connected) => {
      const name = await vscode.window.showInputBox({
        title: vscode.l10n.t('Rename key "{0}"', credential.name),
        value: credential.name,
        validateInput: (value) => (value.trim() ? undefined : vscode.l10n.t('A name is required')),
      });
      if (!name || name.trim() === credential.name) return false;
      await connected.client.credentials.update.mutate({
        workspaceId: connected.workspace.id,
        credentialId: credential.id,
        version: credential.version,
        name: name.trim(),
      });
      return vscode.l10n.t('Key "{0}" is now "{1}".', credential.name, name.trim());
    });
  }

  /** Deletes the key of a key row, after a confirmation naming what depends on it. */
  async removeCredential(node?: NodeView): Promise<boolean> {
    const credential = node?.credential;
    if (!credential) return false;
    return this.#admin(vscode.l10n.t('delete "{0}"', credential.name), async (connected, snapshot) => {
      const target = targetOfCredential(snapshot, credential.id);
      const remove = vscode.l10n.t('Delete');
      const answer = await vscode.window.showWarningMessage(
        vscode.l10n.t('Delete the key "{0}" of {1}?', credential.name, target?.label ?? credential.provider),
        {
          modal: true,
          detail: credential.active
            ? vscode.l10n.t(
                'It is the active key: calls use another key of {0}, if there is one.',
                target?.label ?? '',
              )
            : vscode.l10n.t('Calls do not use it now.'),
        },
        remove,
      );
      if (answer !== remove) return false;
      await connected.client.credentials.remove.mutate({
        workspaceId: connected.workspace.id,
        credentialId: credential.id,
        version: credential.version,
      });
      return vscode.l10n.t('Key "{0}" deleted.', credential.name);
    });
  }

  /** Proves the key of a key row with a real call: the latency, or the provider's reason. */
  async testCredential(node?: NodeView): Promise<boolean> {
    const credential = node?.credential;
    if (!credential) return false;
    return this.#admin(vscode.l10n.t('test "{0}"', credential.name), async (connected) => {
      const started = performance.now();
      const result = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: vscode.l10n.t('Testing "{0}"…', credential.name),
        },
        () =>
          connected.client.credentials.revalidate.mutate({
            workspaceId: connected.workspace.id,
            credentialId: credential.id,
          }),
      );
      const latency = Math.round(performance.now() - started);
      this.log.info(`test key "${credential.name}": ${result.status} in ${latency} ms`);
      if (result.status === 'valid') return vscode.l10n.t('"{0}" works ({1} ms).', credential.name, latency);
      void vscode.window.showErrorMessage(
        vscode.l10n.t(
          '"{0}" was refused: {1}',
          credential.name,
          result.statusReason ?? vscode.l10n.t('invalid'),
        ),
      );
      return false;
    });
  }

  /** Adds a custom model to a provider that accepts them, with a new key or one the provider has. */
  async addCustomModel(node?: NodeView): Promise<boolean> {
    return this.#admin(vscode.l10n.t('add the model'), async (connected, snapshot) => {
      const provider =
        node?.provider ??
        (await pickProvider(
          {
            ...snapshot,
            providers: snapshot.providers.filter((entry) =>
              entry.configurationMethods.includes('customizable'),
            ),
          },
          vscode.l10n.t('Add a model to…'),
        ));
      if (!provider) return false;
      const name = await vscode.window.showInputBox({
        title: vscode.l10n.t('New model of {0}', provider.label),
        prompt: vscode.l10n.t("The provider's model name"),
        ignoreFocusOut: true,
        validateInput: (value) => (value.trim() ? undefined : vscode.l10n.t('A model name is required')),
      });
      if (!name) return false;
      const type =
        provider.modelTypes.length === 1
          ? provider.modelTypes[0]
          : (
              await vscode.window.showQuickPick(
                provider.modelTypes.map((candidate) => ({
                  label: TYPE_LABELS[candidate] ?? candidate,
                  type: candidate,
                })),
                { title: vscode.l10n.t('Type of {0}', name.trim()) },
              )
            )?.type;
      if (!type) return false;
      const pricing = await askPrice(name.trim(), type);
      if (pricing === undefined) return false;
      const newKey = vscode.l10n.t('A new key');
      const reuse = provider.credentials.map((credential) => ({
        label: vscode.l10n.t('Key "{0}" of {1}', credential.name, provider.label),
        credentialId: credential.id as string | undefined,
      }));
      const choice =
        reuse.length === 0
          ? { label: newKey, credentialId: undefined }
          : await vscode.window.showQuickPick([{ label: newKey, credentialId: undefined }, ...reuse], {
              title: vscode.l10n.t('Which key serves {0}?', name.trim()),
            });
      if (!choice) return false;
      let credential:
        | { credentialId: string }
        | { name?: string; values: Record<string, string | number | boolean> };
      if (choice.credentialId) credential = { credentialId: choice.credentialId };
      else {
        const values = await askForm(provider.modelCredentialForm, vscode.l10n.t('Key of {0}', name.trim()));
        if (!values) return false;
        credential = { values };
      }
      const added = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: vscode.l10n.t('Checking {0} with {1}…', name.trim(), provider.label),
        },
        () =>
          connected.client.models.addCustom.mutate({
            workspaceId: connected.workspace.id,
            provider: provider.id,
            model: { name: name.trim(), type },
            credential,
            // No price typed: an existing model keeps its own.
            ...(pricing ? { pricing } : {}),
          }),
      );
      return added.attached
        ? vscode.l10n.t('The key was added to the existing model {0}.', name.trim())
        : vscode.l10n.t('{0} added to {1}.', name.trim(), provider.label);
    });
  }

  /**
   * Runs an admin action: connected and allowed to manage, errors shown with the server's reason,
   * the view re-read after a change. The action returns the success message, or false.
   */
  async #admin(
    what: string,
    action: (connected: Connected, snapshot: Snapshot) => Promise<string | false>,
  ): Promise<boolean> {
    const connected = this.connection.connected;
    const snapshot = this.data.snapshot;
    if (!connected || !snapshot) {
      void vscode.window.showWarningMessage(vscode.l10n.t('Connect to a Switchboard server first.'));
      return false;
    }
    const refusal = manageRefusal(connected.access, connected.workspace.name);
    if (refusal) {
      void vscode.window.showWarningMessage(refusal);
      return false;
    }
    let done: string | false;
    try {
      done = await action(connected, snapshot);
    } catch (error) {
      const failure = describeFailure(error, connected.serverUrl);
      this.log.error(`${what}: ${failure.message}`);
      this.connection.reportFailure(error);
      void vscode.window.showErrorMessage(vscode.l10n.t('Could not {0}: {1}', what, failure.message));
      return false;
    }
    if (done === false) return false;
    this.log.info(done);
    await this.data.refresh();
    void vscode.window.showInformationMessage(done);
    return true;
  }
}

async function pickProvider(snapshot: Snapshot, title: string): Promise<ProviderView | undefined> {
  if (snapshot.providers.length === 1) return snapshot.providers[0];
  const picked = await vscode.window.showQuickPick(
    snapshot.providers.map((provider) => ({ label: provider.label, description: provider.id, provider })),
    { title },
  );
  return picked?.provider;
}
