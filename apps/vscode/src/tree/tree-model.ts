import * as vscode from 'vscode';
import { maskedSecret, type SwitchTarget, switchTargets, targetKey } from '../switch/switch-targets.ts';
import type { CredentialView, ModelView, ProviderView, Snapshot } from '../workspace-data.ts';

/** A codicon and an optional theme color id. */
export interface IconView {
  id: string;
  color?: string;
}

/** One row of the Switchboard view, free of VS Code types so tests read it directly. */
export interface NodeView {
  id: string;
  label: string;
  description?: string;
  tooltip?: string;
  icon?: IconView;
  /** `provider switchable customizable manage`, `credential inactive manage`…: the actions a row offers. */
  contextValue?: string;
  children?: NodeView[];
  expanded?: boolean;
  /** The keys this row switches (provider or custom model rows). */
  target?: SwitchTarget;
  /** The credential of a credential row. */
  credential?: CredentialView;
  /** The provider of a provider row or of its keys group. */
  provider?: ProviderView;
  /** The model of a model row. */
  model?: ModelView;
  /** The model type of a default-model row. */
  defaultType?: string;
}

/** Names of the model types, as the console shows them. */
export const TYPE_LABELS: Record<string, string> = {
  llm: 'Chat',
  'text-embedding': 'Embedding',
  rerank: 'Rerank',
  speech2text: 'Speech to text',
  tts: 'Text to speech',
};

/** Icon of a model or default status. */
export function statusIcon(status: string): IconView {
  switch (status) {
    case 'active':
      return { id: 'pass', color: 'testing.iconPassed' };
    case 'cooling-down':
      return { id: 'watch', color: 'list.warningForeground' };
    case 'disabled':
      return { id: 'circle-slash', color: 'disabledForeground' };
    case 'no-credential':
      return { id: 'circle-large-outline', color: 'list.warningForeground' };
    default:
      return { id: 'error', color: 'list.errorForeground' };
  }
}

/** The rows of the view: the defaults, then each provider with its keys and models. */
export function buildTree(snapshot: Snapshot): NodeView[] {
  const targets = new Map(switchTargets(snapshot).map((target) => [target.key, target]));
  const defaultsOf = defaultMarks(snapshot);
  const expandProviders = snapshot.providers.length <= 5;
  return [
    defaultsNode(snapshot),
    ...snapshot.providers.map((provider) =>
      providerNode(snapshot, provider, targets, defaultsOf, expandProviders),
    ),
  ];
}

/** `provider/type/name` -> the types it is the default of. */
function defaultMarks(snapshot: Snapshot): Map<string, string[]> {
  const marks = new Map<string, string[]>();
  for (const entry of Object.values(snapshot.defaults)) {
    if (!entry) continue;
    const key = `${entry.provider}/${entry.type}/${entry.model}`;
    marks.set(key, [...(marks.get(key) ?? []), entry.type]);
  }
  return marks;
}

function defaultsNode(snapshot: Snapshot): NodeView {
  const children: NodeView[] = Object.entries(TYPE_LABELS).map(([type, typeLabel]) => {
    const entry = snapshot.defaults[type as keyof typeof snapshot.defaults];
    if (!entry)
      return {
        id: `defaults/${type}`,
        label: typeLabel,
        description: vscode.l10n.t('not set'),
        icon: { id: 'circle-large-outline', color: 'disabledForeground' },
        contextValue: tags(snapshot, 'default'),
        defaultType: type,
      };
    return {
      id: `defaults/${type}`,
      label: typeLabel,
      description: `${entry.provider}/${entry.model}`,
      tooltip: entry.status === 'active' ? undefined : entry.reason,
      icon: statusIcon(entry.status),
      contextValue: tags(snapshot, 'default'),
      defaultType: type,
    };
  });
  return {
    id: 'defaults',
    label: vscode.l10n.t('Default models'),
    icon: { id: 'star-full' },
    children,
    expanded: true,
  };
}

function providerNode(
  snapshot: Snapshot,
  provider: ProviderView,
  targets: Map<string, SwitchTarget>,
  defaultsOf: Map<string, string[]>,
  expanded: boolean,
): NodeView {
  const target = targets.get(targetKey(provider.id, null));
  const active = target?.active;
  const models = snapshot.models.filter((model) => model.provider === provider.id);
  const summary = vscode.l10n.t('{0}/{1} models active', provider.activeModelCount, provider.modelCount);
  return {
    id: `provider/${provider.id}`,
    label: provider.label,
    description: active ? `${active.name} · ${summary}` : summary,
    tooltip: provider.description,
    icon: { id: 'plug' },
    contextValue: tags(
      snapshot,
      'provider',
      canSwitch(target) && 'switchable',
      provider.configurationMethods.includes('customizable') && 'customizable',
    ),
    provider,
    target,
    expanded,
    children: [
      {
        id: `provider/${provider.id}/keys`,
        label: vscode.l10n.t('Keys'),
        description:
          provider.credentials.length === 0 ? vscode.l10n.t('none') : String(provider.credentials.length),
        icon: { id: 'key' },
        contextValue: tags(snapshot, 'keys'),
        provider,
        expanded: true,
        children: provider.credentials.map((credential) => credentialNode(snapshot, provider, credential)),
      },
      {
        id: `provider/${provider.id}/models`,
        label: vscode.l10n.t('Models'),
        description: String(models.length),
        icon: { id: 'symbol-class' },
        expanded: false,
        children: models.map((model) => modelNode(snapshot, provider, model, targets, defaultsOf)),
      },
    ],
  };
}

function credentialNode(snapshot: Snapshot, provider: ProviderView, credential: CredentialView): NodeView {
  const mask = maskedSecret(provider, credential);
  const parts = [credential.active ? vscode.l10n.t('active') : undefined, mask].filter(Boolean);
  const problem =
    credential.status === 'invalid'
      ? (credential.statusReason ?? vscode.l10n.t('invalid'))
      : credential.cooldownUntil
        ? vscode.l10n.t('resting until {0}', credential.cooldownUntil)
        : undefined;
  return {
    id: `credential/${credential.id}`,
    label: credential.name,
    description: parts.join(' · '),
    tooltip: problem,
    icon:
      credential.status === 'invalid'
        ? { id: 'warning', color: 'list.errorForeground' }
        : credential.cooldownUntil
          ? { id: 'watch', color: 'list.warningForeground' }
          : credential.active
            ? { id: 'pass-filled', color: 'testing.iconPassed' }
            : { id: 'circle-large-outline' },
    contextValue: tags(snapshot, 'credential', credential.active ? 'active' : 'inactive'),
    credential,
  };
}

function modelNode(
  snapshot: Snapshot,
  provider: ProviderView,
  model: ModelView,
  targets: Map<string, SwitchTarget>,
  defaultsOf: Map<string, string[]>,
): NodeView {
  const ownKeys = targets.get(targetKey(provider.id, { name: model.name, type: model.type }));
  const defaults = defaultsOf.get(`${model.provider}/${model.type}/${model.name}`) ?? [];
  const description = [
    TYPE_LABELS[model.type] ?? model.type,
    defaults.length > 0 ? vscode.l10n.t('default') : undefined,
    model.status === 'active' ? undefined : model.status,
  ]
    .filter(Boolean)
    .join(' · ');
  return {
    id: `model/${provider.id}/${model.type}/${model.name}`,
    label: model.name,
    description,
    tooltip: model.reason,
    icon:
      defaults.length > 0 && model.status === 'active'
        ? { id: 'star-full', color: 'testing.iconPassed' }
        : statusIcon(model.status),
    contextValue: tags(
      snapshot,
      'model',
      canSwitch(ownKeys) && 'switchable',
      model.enabled ? 'enabled' : 'disabled',
      (model.status === 'active' || model.status === 'cooling-down') &&
        !defaults.includes(model.type) &&
        'usable',
    ),
    target: ownKeys,
    model,
    expanded: false,
    children: ownKeys
      ? ownKeys.credentials.map((credential) => credentialNode(snapshot, provider, credential))
      : undefined,
  };
}

/** Whether there is another key to pick. */
function canSwitch(target: SwitchTarget | undefined): boolean {
  return target !== undefined && target.credentials.length > 1;
}

/**
 * A row's context value: its kind, then the tags the menus match (`viewItem =~ /\bswitchable\b/`).
 * Only a principal that may manage (an owner or admin, with a token that has the `manage` scope)
 * gets tags (and `manage`): for everyone else the actions are absent.
 */
function tags(snapshot: Snapshot, kind: string, ...flags: (string | false | undefined)[]): string {
  if (!snapshot.canManage) return kind;
  return [kind, ...flags.filter((flag): flag is string => typeof flag === 'string'), 'manage'].join(' ');
}
