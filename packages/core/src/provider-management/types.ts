import type {
  ConfigurationMethod,
  FormField,
  ModelFeature,
  ModelPricing,
  ModelType,
  ProviderId,
  ProviderManifest,
} from '@switchboard/provider-spec';
import type { PricingSource } from './model-pricing.ts';

/** The default-model types, in the order the console shows them. */
export const DEFAULT_MODEL_TYPES = [
  'llm',
  'text-embedding',
  'rerank',
  'speech2text',
  'tts',
] as const satisfies readonly ModelType[];

/** A model type that has a workspace default. */
export type DefaultModelType = (typeof DEFAULT_MODEL_TYPES)[number];

/** Where a model in a workspace comes from. */
export type ModelSource = 'predefined' | 'custom' | 'discovered';

/** Whether a model can be used now, and if not, why. */
export type ModelStatus =
  | 'active'
  | 'no-credential'
  | 'credential-invalid'
  | 'credential-removed'
  | 'disabled'
  | 'cooling-down';

/** A model named within a provider: the custom-model key `(model, type)`. */
export interface ModelRef {
  name: string;
  type: ModelType;
}

/** A credential as clients see it: secret values masked, never the secret. */
export interface CredentialView {
  id: string;
  provider: ProviderId;
  /** The custom model this credential belongs to; null for a provider credential. */
  model: ModelRef | null;
  name: string;
  /** Form values; secret fields show only their mask. */
  values: Record<string, string | number | boolean>;
  active: boolean;
  /** Result of the last real validation. */
  status: 'valid' | 'invalid';
  statusReason: string | null;
  validatedAt: string | null;
  /** When the gateway's cooldown of this key ends, if it is resting now. */
  cooldownUntil: string | null;
  /** Moves when the name or values change; which key is active and validation results are not edits. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** A catalog entry: the manifest, and whether this workspace installed it. */
export interface CatalogEntry {
  manifest: ProviderManifest;
  installed: boolean;
}

/** An installed provider with its provider credentials. */
export interface ProviderView {
  id: ProviderId;
  label: string;
  description: string;
  icon: string;
  helpUrl: string;
  modelTypes: ModelType[];
  configurationMethods: ConfigurationMethod[];
  providerCredentialForm: FormField[];
  modelCredentialForm: FormField[];
  /** Provider credentials (custom models' own keys are in `models.manageCredentials`). */
  credentials: CredentialView[];
  activeCredentialId: string | null;
  /** Models of this provider listed in the workspace, and how many of them are usable. */
  modelCount: number;
  activeModelCount: number;
  installedAt: string;
  /** The install's version, checked by `providers.uninstall`. */
  version: number;
}

/** A model of the workspace with its status. */
export interface ModelView {
  provider: ProviderId;
  name: string;
  label: string;
  type: ModelType;
  source: ModelSource;
  status: ModelStatus;
  /** Why the status is what it is, in words for the console. */
  reason: string;
  enabled: boolean;
  loadBalancing: boolean;
  /** The credential calls use (the active one); null when there is none. */
  credentialId: string | null;
  contextSize: number | null;
  maxOutputTokens: number | null;
  features: ModelFeature[];
  /** USD per million tokens: the admin's price for a custom model that has one, else the catalog's; null: no price. */
  pricing: ModelPricing | null;
  /** Where `pricing` comes from: the provider catalog, the admin (`custom`), or nowhere (null). */
  pricingSource: PricingSource;
  /**
   * The model's version: moves only when this model changes (enabled, load balancing, price, removed
   * or restored). Every model procedure (`enable`, `disable`, `remove`, `loadBalancing.set`) checks it.
   */
  version: number;
}

/** A custom model's key ring in `manageCredentials`, removed models included. */
export interface CustomModelCredentials {
  model: ModelRef;
  source: 'custom' | 'discovered' | null;
  /** Removed models keep their keys so they can be re-added without typing them again. */
  removed: boolean;
  credentials: CredentialView[];
}

/** A default model, with whether it still works. */
export interface DefaultModelView {
  type: ModelType;
  provider: ProviderId;
  model: string;
  status: 'active' | 'model-removed' | 'provider-removed' | Exclude<ModelStatus, 'active'>;
  reason: string;
  /** The default's version: moves each time this type's default is set. */
  version: number;
}

/** One credential in a model's load balancing. */
export interface LoadBalancingEntryView {
  credentialId: string;
  name: string;
  weight: number;
  /** Whether the entry is part of the saved configuration. */
  included: boolean;
  status: 'valid' | 'invalid';
  cooldownUntil: string | null;
}

/** A model's load balancing over its credential pool. */
export interface LoadBalancingView {
  provider: ProviderId;
  model: ModelRef;
  enabled: boolean;
  /** Every credential the model may use, each with its weight and cooldown. */
  credentials: LoadBalancingEntryView[];
  /** The model's version (the same as in `models.list`). */
  version: number;
}

/** A model the provider's server reports, and whether the workspace has it. */
export interface DiscoveredModel {
  name: string;
  label: string;
  type: ModelType;
  contextSize: number | null;
  added: boolean;
}
