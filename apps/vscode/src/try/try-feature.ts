import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { Connection } from '../connect/connection.ts';
import { Disposable } from '../disposable.ts';
import type { Log } from '../log.ts';
import type { LastServed } from '../status/status-feature.ts';
import { targetOfModel } from '../switch/switch-targets.ts';
import type { Snapshot } from '../workspace-data.ts';
import { type ChatResult, GatewayError, streamChat } from './chat-stream.ts';

/** A row of the model quick pick: `model` is what the gateway is asked for. */
export interface ModelPickItem extends vscode.QuickPickItem {
  model: string;
}

/** The default chat model first, then every chat model that can answer now. */
export function modelPickItems(snapshot: Snapshot): ModelPickItem[] {
  const items: ModelPickItem[] = [];
  const fallback = snapshot.defaults.llm;
  if (fallback)
    items.push({
      label: `$(star-full) ${vscode.l10n.t('Default chat model')}`,
      description: `${fallback.provider}/${fallback.model}`,
      model: 'default',
    });
  for (const model of snapshot.models) {
    if (model.type !== 'llm' || (model.status !== 'active' && model.status !== 'cooling-down')) continue;
    items.push({
      label: `${model.provider}/${model.name}`,
      description: model.status === 'active' ? undefined : model.status,
      model: `${model.provider}/${model.name}`,
    });
  }
  return items;
}

/** The key a call to `model` uses now, by name (the active one; load balancing may pick another). */
export function keyNameFor(snapshot: Snapshot, model: string): string | undefined {
  const fallback = snapshot.defaults.llm;
  const [provider, ...rest] =
    model === 'default' && fallback ? [fallback.provider, fallback.model] : model.split('/');
  const name = rest.join('/');
  const found = snapshot.models.find(
    (candidate) => candidate.provider === provider && candidate.type === 'llm' && candidate.name === name,
  );
  if (!found) return undefined;
  const key = targetOfModel(snapshot, found)?.credentials.find(
    (credential) => credential.id === found.credentialId,
  );
  if (!key) return undefined;
  return found.loadBalancing ? vscode.l10n.t('{0} (load balanced)', key.name) : key.name;
}

/** The line written under a reply. */
export function summaryLine(result: ChatResult, keyName: string | undefined, requestId: string): string {
  const parts = [
    result.model ?? '?',
    keyName ? vscode.l10n.t('key "{0}"', keyName) : undefined,
    result.firstTokenMs !== undefined
      ? vscode.l10n.t('{0} ms (first token {1} ms)', result.latencyMs, result.firstTokenMs)
      : vscode.l10n.t('{0} ms', result.latencyMs),
    result.usage
      ? vscode.l10n.t('{0} tokens in, {1} out', result.usage.promptTokens, result.usage.completionTokens)
      : vscode.l10n.t('no usage reported'),
    vscode.l10n.t('request {0}', requestId),
  ];
  return parts.filter(Boolean).join(' · ');
}

/** "Try a model": pick a model, type a prompt, watch the reply stream into an editor tab. */
export class TryFeature extends Disposable {
  constructor(
    private readonly connection: Connection,
    private readonly snapshot: () => Snapshot | undefined,
    private readonly lastServed: LastServed,
    private readonly log: Log,
  ) {
    super();
    this.register(
      vscode.commands.registerCommand('switchboard.tryModel', (model?: string, prompt?: string) =>
        this.run(model, prompt),
      ),
    );
  }

  /** Runs one prompt; `model` and `prompt` skip their prompts (for scripts and tests). Resolves with the document. */
  async run(givenModel?: string, givenPrompt?: string): Promise<vscode.TextDocument | undefined> {
    const connected = this.connection.connected;
    const snapshot = this.snapshot();
    if (!connected || !snapshot) {
      void vscode.window.showWarningMessage(vscode.l10n.t('Connect to a Switchboard server first.'));
      return undefined;
    }
    let model = givenModel;
    if (!model) {
      const items = modelPickItems(snapshot);
      if (items.length === 0) {
        void vscode.window.showInformationMessage(
          vscode.l10n.t('This workspace has no chat model that can answer now.'),
        );
        return undefined;
      }
      model = (await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Try a model') }))?.model;
      if (!model) return undefined;
    }
    const prompt =
      givenPrompt ??
      (await vscode.window.showInputBox({
        title: vscode.l10n.t('Prompt for {0}', model),
        prompt: vscode.l10n.t('What to ask'),
        ignoreFocusOut: true,
      }));
    if (!prompt) return undefined;

    const requestId = `vsc-${randomUUID()}`;
    const keyName = keyNameFor(snapshot, model);
    const fallback = snapshot.defaults.llm;
    const heading =
      model === 'default' && fallback
        ? vscode.l10n.t('Default chat model ({0}/{1})', fallback.provider, fallback.model)
        : model;
    const document = await vscode.workspace.openTextDocument({
      language: 'markdown',
      content: `# ${heading}\n\n> ${prompt.replace(/\n/g, '\n> ')}\n\n`,
    });
    const editor = await vscode.window.showTextDocument(document, { preview: false });
    const writer = new DocumentWriter(editor);
    this.log.info(`[${requestId}] POST /v1/chat/completions model=${model}`);
    try {
      const result = await streamChat(
        {
          serverUrl: connected.serverUrl,
          token: connected.token,
          workspaceId: connected.workspace.id,
          model,
          prompt,
          requestId,
        },
        (text) => writer.append(text),
      );
      const summary = summaryLine(result, keyName, requestId);
      await writer.append(`\n\n---\n*${summary}*\n`);
      this.lastServed.model = result.model;
      this.log.info(
        `[${requestId}] 200 ${result.model ?? ''} ${result.latencyMs} ms, first token ${result.firstTokenMs ?? '-'} ms, ` +
          `tokens ${result.usage?.promptTokens ?? '-'}/${result.usage?.completionTokens ?? '-'}, upstream id ${result.completionId ?? '-'}`,
      );
    } catch (error) {
      const message =
        error instanceof GatewayError
          ? `${error.status}${error.code ? ` ${error.code}` : ''}: ${error.message}`
          : error instanceof Error
            ? error.message
            : String(error);
      this.log.error(`[${requestId}] ${message}`);
      await writer.append(
        `\n\n---\n**${vscode.l10n.t('Failed')}** ${message} · ${vscode.l10n.t('request {0}', requestId)}\n`,
      );
      void vscode.window.showErrorMessage(vscode.l10n.t('{0} did not answer: {1}', model, message));
    }
    return document;
  }
}

/** Appends to the end of an editor's document, one edit at a time and in order. */
class DocumentWriter {
  #queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly editor: vscode.TextEditor) {}

  append(text: string): Promise<unknown> {
    this.#queue = this.#queue.then(() =>
      this.editor.edit((builder) => {
        const end = this.editor.document.lineAt(this.editor.document.lineCount - 1).range.end;
        builder.insert(end, text);
      }),
    );
    return this.#queue;
  }
}
