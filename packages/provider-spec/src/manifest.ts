/** Kinds of model a provider can serve; also the gateway endpoint each one belongs to. */
export const MODEL_TYPES = ['llm', 'text-embedding', 'rerank', 'speech2text', 'tts'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

/**
 * How a provider's models come to exist in a workspace:
 * `predefined` ships with the adapter, `customizable` is added by name by an admin,
 * `discoverable` is listed from the server itself (Ollama, vLLM...).
 */
export const CONFIGURATION_METHODS = ['predefined', 'customizable', 'discoverable'] as const;
export type ConfigurationMethod = (typeof CONFIGURATION_METHODS)[number];

/** The provider ids, as used in configuration files and model names (`provider/model`). */
export const PROVIDER_IDS = [
  'openai',
  'azure-openai',
  'anthropic',
  'gemini',
  'mistral',
  'deepseek',
  'groq',
  'openrouter',
  'cohere',
  'jina',
  'voyage',
  'ollama',
  'xinference',
  'openai-compatible',
] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

/** Input kinds of a credential form field. */
export type FormFieldType = 'text' | 'secret' | 'select' | 'switch' | 'number';

/** One field of a credential form, rendered by the console and the VS Code extension alike. */
export interface FormField {
  /** snake_case; `api_key` and `base_url` wherever a provider has them. */
  id: string;
  label: string;
  type: FormFieldType;
  required: boolean;
  /** Value used when the field is left empty. */
  default?: string | number | boolean;
  placeholder?: string;
  /** One sentence shown under the field. */
  help?: string;
  /** Choices of a `select` field. */
  options?: { value: string; label: string }[];
  /** Show (and require) the field only when another field has a value (any, or the one given). */
  showWhen?: { field: string; equals?: string | number | boolean };
}

/** What a credential form holds once filled in: field id to value. */
export type CredentialValues = Record<string, string | number | boolean | undefined>;

/** Capabilities a model may have; shown in the console and used to route requests. */
export type ModelFeature =
  | 'tool-call'
  | 'vision'
  | 'structured-output'
  | 'streaming'
  | 'reasoning'
  | 'audio-input'
  | 'document';

/** Published price, in US dollars per million tokens. */
export interface ModelPricing {
  inputPerMillion: number;
  outputPerMillion?: number;
}

/** A model as a provider's manifest or its server describes it. */
export interface ModelInfo {
  /** The provider's own model id (`gpt-4o-mini`, `llama3.2:3b`). */
  id: string;
  label?: string;
  type: ModelType;
  /** Context window, in tokens. */
  contextSize?: number;
  maxOutputTokens?: number;
  features?: ModelFeature[];
  /** Embedding dimensions, for `text-embedding`. */
  dimensions?: number;
  /** Voice names, for `tts`. */
  voices?: string[];
  pricing?: ModelPricing;
}

/** Everything Switchboard shows and stores about a provider, without calling it. */
export interface ProviderManifest {
  id: ProviderId;
  label: string;
  /** One line for the catalog. */
  description: string;
  /** SVG markup of the provider's icon, shipped in the package. */
  icon: string;
  /** Where to get an API key or read the docs. */
  helpUrl: string;
  modelTypes: ModelType[];
  configurationMethods: ConfigurationMethod[];
  /** Credential shared by the provider's predefined models. Empty when the provider has none. */
  providerCredentialForm: FormField[];
  /** Credential of one custom model (endpoint, key, deployment...). Empty when not customizable. */
  modelCredentialForm: FormField[];
  /** Models available once a provider credential is active. */
  models: ModelInfo[];
}
