import * as vscode from 'vscode';
import type { ProviderView } from '../workspace-data.ts';

/** A field of a provider's credential form. */
export type FormField = ProviderView['providerCredentialForm'][number];
/** Filled-in form values, by field id. */
export type FormValues = Record<string, string | number | boolean>;

/** Whether a field applies given the values so far (its `showWhen`). */
export function isShown(field: FormField, values: FormValues): boolean {
  if (!field.showWhen) return true;
  const value = values[field.showWhen.field];
  if (field.showWhen.equals === undefined) return value !== undefined && value !== '' && value !== false;
  return value === field.showWhen.equals;
}

/**
 * Asks for each field of a form in turn (input boxes, a password box for secrets, quick picks
 * for choices). Empty optional fields are left out so the server applies their defaults.
 * Resolves undefined when the user cancels.
 */
export async function askForm(fields: FormField[], title: string): Promise<FormValues | undefined> {
  const values: FormValues = {};
  const shown = fields;
  for (const [index, field] of shown.entries()) {
    if (!isShown(field, values)) continue;
    const step = `${title} (${index + 1}/${shown.length})`;
    if (field.type === 'select' || field.type === 'switch') {
      const options =
        field.type === 'select'
          ? (field.options ?? []).map((option) => ({
              label: option.label,
              value: option.value as string | boolean,
            }))
          : [
              { label: vscode.l10n.t('Yes'), value: true as string | boolean },
              { label: vscode.l10n.t('No'), value: false as string | boolean },
            ];
      const picked = await vscode.window.showQuickPick(options, {
        title: step,
        placeHolder: field.help ?? field.label,
        ignoreFocusOut: true,
      });
      if (!picked) return undefined;
      values[field.id] = picked.value;
      continue;
    }
    const answer = await vscode.window.showInputBox({
      title: step,
      prompt: [field.label, field.help].filter(Boolean).join(': '),
      placeHolder: field.placeholder ?? (field.default !== undefined ? String(field.default) : undefined),
      password: field.type === 'secret',
      ignoreFocusOut: true,
      validateInput: (value) => validateField(field, value),
    });
    if (answer === undefined) return undefined;
    const trimmed = answer.trim();
    if (trimmed === '') continue;
    values[field.id] = field.type === 'number' ? Number(trimmed) : trimmed;
  }
  return values;
}

/** The message an input box shows for a value, or undefined when it is acceptable. */
export function validateField(field: FormField, value: string): string | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return field.required ? vscode.l10n.t('{0} is required', field.label) : undefined;
  if (field.type === 'number' && !Number.isFinite(Number(trimmed)))
    return vscode.l10n.t('{0} must be a number', field.label);
  return undefined;
}
