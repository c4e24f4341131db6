import type { Credential, FormField } from './api';

/** What a credential form holds while being edited, by field id. */
export type FormValues = Record<string, string | number | boolean | null>;

/** The values a form starts with: the credential's (secrets left empty), else each field's default. */
export function initialValues(form: FormField[], credential?: Credential): FormValues {
  const values: FormValues = {};
  for (const field of form) {
    const stored = credential?.values[field.id];
    if (field.type === 'secret') values[field.id] = '';
    else if (stored !== undefined) values[field.id] = stored;
    else if (field.default !== undefined) values[field.id] = field.default;
    else values[field.id] = field.type === 'switch' ? false : '';
  }
  return values;
}

const filled = (value: unknown) => value !== undefined && value !== null && value !== '' && value !== false;

/** Whether a field shows: always, or only while the field it depends on has a value (or the one given). */
export function isVisible(field: FormField, values: FormValues): boolean {
  if (!field.showWhen) return true;
  const other = values[field.showWhen.field];
  if (field.showWhen.equals === undefined) return filled(other);
  return String(other ?? '') === String(field.showWhen.equals);
}

/**
 * The values to send. Hidden fields are left out. An empty secret is left out too, which keeps
 * the stored one when editing; an emptied plain field is sent as null when editing, to clear it.
 */
export function valuesToSend(form: FormField[], values: FormValues, editing: boolean): FormValues {
  const sent: FormValues = {};
  for (const field of form) {
    if (!isVisible(field, values)) continue;
    const value = values[field.id];
    if (field.type === 'switch') sent[field.id] = value === true;
    else if (value === '' || value === null || value === undefined) {
      if (editing && field.type !== 'secret') sent[field.id] = null;
    } else if (field.type === 'number') sent[field.id] = Number(value);
    else sent[field.id] = value;
  }
  return sent;
}
