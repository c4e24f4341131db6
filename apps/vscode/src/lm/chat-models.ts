import * as vscode from 'vscode';
import type { ModelView, Snapshot } from '../workspace-data.ts';

/** The vendor of the workspace's models in `vscode.lm` (`selectChatModels({ vendor: 'switchboard' })`). */
export const LM_VENDOR = 'switchboard';

/**
 * Token limits when the server knows none (custom and discovered models): small enough for
 * any current chat model, so VS Code never sends more than the model takes.
 */
export const FALLBACK_CONTEXT_TOKENS = 32_768;
export const FALLBACK_OUTPUT_TOKENS = 4_096;

/** A model offered to VS Code: the 1.104 information plus what a request needs. */
export interface SwitchboardChatModel extends vscode.LanguageModelChatInformation {
  /** What the gateway is asked for: `provider/model`. */
  readonly gatewayModel: string;
}

/** Whether the gateway can answer with this chat model now (as "Try a model" lists them). */
export function isUsableChatModel(model: ModelView): boolean {
  return model.type === 'llm' && (model.status === 'active' || model.status === 'cooling-down');
}

/**
 * The workspace's chat models as VS Code's model picker shows them: named by provider and model
 * (`OpenAI · gpt-4o-mini`), with the token limits and capabilities the server knows.
 */
export function chatModelsOf(snapshot: Snapshot | undefined, workspaceName: string): SwitchboardChatModel[] {
  if (!snapshot) return [];
  const labels = new Map(snapshot.providers.map((provider) => [provider.id, provider.label]));
  const fallback = snapshot.defaults.llm;
  return snapshot.models.filter(isUsableChatModel).map((model) => {
    const gatewayModel = `${model.provider}/${model.name}`;
    const providerLabel = labels.get(model.provider) ?? model.provider;
    const maxOutputTokens = model.maxOutputTokens ?? FALLBACK_OUTPUT_TOKENS;
    const context = model.contextSize ?? FALLBACK_CONTEXT_TOKENS;
    // The context window holds the answer too: what is left of it is the input's.
    const maxInputTokens = context > maxOutputTokens ? context - maxOutputTokens : context;
    const isDefault = fallback?.provider === model.provider && fallback.model === model.name;
    return {
      id: gatewayModel,
      name: `${providerLabel} · ${model.label || model.name}`,
      family: model.name,
      version: String(model.version),
      detail: isDefault ? vscode.l10n.t('{0} · default', workspaceName) : workspaceName,
      tooltip:
        model.status === 'cooling-down'
          ? vscode.l10n.t('{0} through Switchboard ({1}): {2}', gatewayModel, workspaceName, model.reason)
          : vscode.l10n.t('{0} through Switchboard ({1})', gatewayModel, workspaceName),
      maxInputTokens,
      maxOutputTokens,
      capabilities: {
        toolCalling: model.features.includes('tool-call'),
        imageInput: model.features.includes('vision'),
      },
      gatewayModel,
    };
  });
}

/** A fingerprint of what VS Code sees of the models: the change event fires only when it moves. */
export function chatModelsFingerprint(models: readonly SwitchboardChatModel[]): string {
  return JSON.stringify(models);
}
