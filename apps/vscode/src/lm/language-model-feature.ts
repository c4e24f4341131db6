import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { Connection } from '../connect/connection.ts';
import { Disposable } from '../disposable.ts';
import type { Log } from '../log.ts';
import { type ChatResult, GatewayError, streamChatCompletion } from '../try/chat-stream.ts';
import type { WorkspaceData } from '../workspace-data.ts';
import { chatCompletionBody, ToolCallAssembler } from './chat-request.ts';
import { chatModelsFingerprint, chatModelsOf, LM_VENDOR, type SwitchboardChatModel } from './chat-models.ts';

/** The part of `vscode.lm` this feature uses (tests pass their own). */
export type LanguageModelApi = Pick<typeof vscode.lm, 'registerLanguageModelChatProvider'>;

/** How long listing waits for a connect or a first read in progress (VS Code asks right at startup). */
const SETTLE_TIMEOUT_MS = 10_000;

/** The management command named in `contributes.languageModelChatProviders`. */
export const MANAGE_LANGUAGE_MODELS = 'switchboard.manageLanguageModels';

/**
 * The workspace's chat models in VS Code's language model API (VS Code 1.104 and later), so
 * chat and other extensions use them through the gateway with the user's token. On older VS Code
 * the API is missing and this feature registers nothing; everything else works the same.
 */
export class LanguageModelFeature
  extends Disposable
  implements vscode.LanguageModelChatProvider<SwitchboardChatModel>
{
  readonly #changes = this.register(new vscode.EventEmitter<void>());
  /** Fires when the list VS Code would get differs from the last one it got. */
  readonly onDidChangeLanguageModelChatInformation = this.#changes.event;
  /** Whether the provider is registered (false on VS Code before 1.104). */
  readonly registered: boolean;
  #announced: string;

  constructor(
    private readonly connection: Connection,
    private readonly data: WorkspaceData,
    private readonly log: Log,
    lm: LanguageModelApi = vscode.lm,
  ) {
    super();
    this.#announced = chatModelsFingerprint(this.#models());
    this.register(
      vscode.commands.registerCommand(MANAGE_LANGUAGE_MODELS, () =>
        vscode.commands.executeCommand('workbench.view.extension.switchboard'),
      ),
    );
    this.registered = this.#registerProvider(lm);
    this.register(
      data.onDidChange(() => {
        const fingerprint = chatModelsFingerprint(this.#models());
        if (fingerprint === this.#announced) return;
        this.#announced = fingerprint;
        this.log.info(`language models: the list changed (${this.#models().length} chat models)`);
        this.#changes.fire();
      }),
    );
  }

  #registerProvider(lm: LanguageModelApi): boolean {
    const register = lm.registerLanguageModelChatProvider;
    if (typeof register !== 'function') {
      this.log.info(`language models: this VS Code (${vscode.version}) has no language model provider API`);
      return false;
    }
    try {
      this.register(register(LM_VENDOR, this));
      return true;
    } catch (error) {
      this.log.warn(`language models: not registered: ${messageOf(error)}`);
      return false;
    }
  }

  #models(): SwitchboardChatModel[] {
    return chatModelsOf(this.data.snapshot, this.connection.connected?.workspace.name ?? '');
  }

  async provideLanguageModelChatInformation(
    _options: vscode.PrepareLanguageModelChatModelOptions,
    token: vscode.CancellationToken,
  ): Promise<SwitchboardChatModel[]> {
    await this.#settled(token);
    const models = this.#models();
    this.#announced = chatModelsFingerprint(models);
    this.log.info(`language models: VS Code asked for the list (${models.length} chat models)`);
    return models;
  }

  /** Waits while a connect or the first read is under way, so the list is not empty only because it is early. */
  async #settled(token: vscode.CancellationToken): Promise<void> {
    const busy = () =>
      this.connection.state.kind === 'connecting' ||
      (this.connection.state.kind === 'connected' && this.data.snapshot === undefined);
    if (!busy()) return;
    await new Promise<void>((resolve) => {
      const subscriptions: vscode.Disposable[] = [];
      const done = () => {
        clearTimeout(timer);
        for (const subscription of subscriptions) subscription.dispose();
        resolve();
      };
      const timer = setTimeout(done, SETTLE_TIMEOUT_MS);
      const check = () => {
        if (!busy()) done();
      };
      subscriptions.push(this.data.onDidChange(check), this.connection.onDidChange(check));
      subscriptions.push(token.onCancellationRequested(done));
    });
  }

  async provideLanguageModelChatResponse(
    model: SwitchboardChatModel,
    messages: readonly vscode.LanguageModelChatRequestMessage[],
    options: vscode.ProvideLanguageModelChatResponseOptions,
    progress: vscode.Progress<vscode.LanguageModelResponsePart>,
    token: vscode.CancellationToken,
  ): Promise<void> {
    const connected = this.connection.connected;
    if (!connected)
      throw new Error(vscode.l10n.t('Switchboard is not connected: sign in and pick a workspace first.'));
    if (token.isCancellationRequested) throw new vscode.CancellationError();
    const requestId = `vsc-lm-${randomUUID()}`;
    const abort = new AbortController();
    const cancellation = token.onCancellationRequested(() => abort.abort());
    const calls = new ToolCallAssembler();
    const reportCalls = () => {
      for (const call of calls.take())
        progress.report(new vscode.LanguageModelToolCallPart(call.callId, call.name, call.input));
    };
    this.log.info(`[${requestId}] language model POST /v1/chat/completions model=${model.gatewayModel}`);
    let result: ChatResult;
    try {
      result = await streamChatCompletion(
        {
          serverUrl: connected.serverUrl,
          token: connected.token,
          workspaceId: connected.workspace.id,
          requestId,
          signal: abort.signal,
        },
        chatCompletionBody(model.gatewayModel, messages, options),
        (chunk) => {
          // Chunks already read may still be parsed after a cancel: report none of them.
          if (token.isCancellationRequested) throw new vscode.CancellationError();
          for (const choice of chunk.choices ?? []) {
            const text = choice.delta?.content;
            if (text) progress.report(new vscode.LanguageModelTextPart(text));
            if (choice.delta?.tool_calls) calls.add(choice.delta.tool_calls);
            // A call is complete once its choice finishes: report it then, in the order of the calls.
            if (choice.finish_reason) reportCalls();
          }
        },
      );
      reportCalls();
    } catch (error) {
      if (token.isCancellationRequested) {
        this.log.info(`[${requestId}] cancelled`);
        throw new vscode.CancellationError();
      }
      const message =
        error instanceof GatewayError
          ? `${error.status}${error.code ? ` ${error.code}` : ''}: ${error.message}`
          : messageOf(error);
      this.log.error(`[${requestId}] ${message}`);
      throw new Error(
        vscode.l10n.t('{0} did not answer through Switchboard: {1}', model.gatewayModel, message),
      );
    } finally {
      cancellation.dispose();
    }
    this.log.info(
      `[${requestId}] 200 ${result.model ?? ''} ${result.latencyMs} ms, finish ${result.finishReason ?? '-'}, ` +
        `tokens ${result.usage?.promptTokens ?? '-'}/${result.usage?.completionTokens ?? '-'}, upstream id ${result.completionId ?? '-'}`,
    );
  }

  /**
   * An estimate (4 characters a token): the gateway serves many providers, each with its own
   * tokenizer, and VS Code uses the count only to budget its prompts.
   */
  async provideTokenCount(
    _model: SwitchboardChatModel,
    text: string | vscode.LanguageModelChatRequestMessage,
  ): Promise<number> {
    const content =
      typeof text === 'string'
        ? text
        : text.content
            .map((part) =>
              typeof (part as { value?: unknown }).value === 'string'
                ? (part as { value: string }).value
                : JSON.stringify(part),
            )
            .join('');
    return Math.ceil(content.length / 4);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
