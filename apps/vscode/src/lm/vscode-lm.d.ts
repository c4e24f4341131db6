// The language model chat provider API of VS Code 1.104 (copied, trimmed, from @types/vscode
// 1.105.0). The extension targets ^1.100.0 with @types/vscode 1.100.0 (vsce checks the two
// agree), so this newer API is declared here, and `registerLanguageModelChatProvider` as
// possibly undefined: the compiler forces the feature check. Delete this file when
// engines.vscode moves to ^1.104.0.
declare module 'vscode' {
  /** The provider version of `LanguageModelChatRequestOptions`. */
  export interface ProvideLanguageModelChatResponseOptions {
    readonly modelOptions?: { readonly [name: string]: unknown };
    readonly tools?: readonly LanguageModelChatTool[];
    readonly toolMode: LanguageModelChatToolMode;
  }

  /** A language model offered by a provider. */
  export interface LanguageModelChatInformation {
    readonly id: string;
    readonly name: string;
    readonly family: string;
    readonly tooltip?: string;
    readonly detail?: string;
    readonly version: string;
    readonly maxInputTokens: number;
    readonly maxOutputTokens: number;
    readonly capabilities: LanguageModelChatCapabilities;
  }

  /** What a model supports: image input, tool calling (true, or the most tools per request). */
  export interface LanguageModelChatCapabilities {
    readonly imageInput?: boolean;
    readonly toolCalling?: boolean | number;
  }

  /** The provider version of `LanguageModelChatMessage`. */
  export interface LanguageModelChatRequestMessage {
    readonly role: LanguageModelChatMessageRole;
    readonly content: ReadonlyArray<LanguageModelInputPart | unknown>;
    readonly name: string | undefined;
  }

  /** What a provider may report while answering. */
  export type LanguageModelResponsePart =
    | LanguageModelTextPart
    | LanguageModelToolResultPart
    | LanguageModelToolCallPart;

  /** What a request's messages may hold. */
  export type LanguageModelInputPart =
    | LanguageModelTextPart
    | LanguageModelToolResultPart
    | LanguageModelToolCallPart;

  /** Offers language models to VS Code's chat and to other extensions (`vscode.lm.selectChatModels`). */
  export interface LanguageModelChatProvider<
    T extends LanguageModelChatInformation = LanguageModelChatInformation,
  > {
    readonly onDidChangeLanguageModelChatInformation?: Event<void>;
    provideLanguageModelChatInformation(
      options: PrepareLanguageModelChatModelOptions,
      token: CancellationToken,
    ): ProviderResult<T[]>;
    provideLanguageModelChatResponse(
      model: T,
      messages: readonly LanguageModelChatRequestMessage[],
      options: ProvideLanguageModelChatResponseOptions,
      progress: Progress<LanguageModelResponsePart>,
      token: CancellationToken,
    ): Thenable<void>;
    provideTokenCount(
      model: T,
      text: string | LanguageModelChatRequestMessage,
      token: CancellationToken,
    ): Thenable<number>;
  }

  /** Whether the user may be prompted while models are listed. */
  export interface PrepareLanguageModelChatModelOptions {
    readonly silent: boolean;
  }

  export namespace lm {
    /** VS Code 1.104 and later; undefined in 1.100 to 1.103. */
    export const registerLanguageModelChatProvider:
      | ((vendor: string, provider: LanguageModelChatProvider) => Disposable)
      | undefined;
  }
}
