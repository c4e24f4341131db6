import type { CredentialValues, FormField } from '@switchboard/provider-spec';
import type { Core } from '../core.ts';
import { maskSecret } from '../crypto/mask.ts';
import type { DbOrTrx, ProviderCredentialRow } from '../db/schema.ts';
import { parseObject } from './state.ts';

// Credential values at rest: secrets sealed with the workspace's data key, masks for lists.

/** Values split for storage: plain JSON, sealed secrets, and masks for lists. */
export interface StoredValues {
  plain_values: string;
  sealed_values: string;
  masked_values: string;
}

/** Seals the secret fields of `values` for one credential (pass the transaction on SQLite). */
export async function sealValues(
  core: Core,
  db: DbOrTrx,
  workspaceId: string,
  credentialId: string,
  form: FormField[],
  values: CredentialValues,
): Promise<StoredValues> {
  const plain: Record<string, unknown> = {};
  const sealed: Record<string, string> = {};
  const masked: Record<string, string> = {};
  const secretIds = new Set(form.filter((field) => field.type === 'secret').map((field) => field.id));
  for (const [id, value] of Object.entries(values)) {
    if (value === undefined) continue;
    if (secretIds.has(id)) {
      const text = String(value);
      sealed[id] = await core.keyring.encrypt(workspaceId, `${credentialId}/${id}`, text, db);
      masked[id] = maskSecret(text);
    } else {
      plain[id] = value;
    }
  }
  return {
    plain_values: JSON.stringify(plain),
    sealed_values: JSON.stringify(sealed),
    masked_values: JSON.stringify(masked),
  };
}

/** A stored credential's values with its secrets decrypted: only for calls to the provider. */
export async function openValues(
  core: Core,
  db: DbOrTrx,
  row: ProviderCredentialRow,
): Promise<CredentialValues> {
  const values: CredentialValues = { ...parseObject(row.plain_values) };
  for (const [id, sealed] of Object.entries(parseObject(row.sealed_values))) {
    values[id] = await core.keyring.decrypt(row.workspace_id, `${row.id}/${id}`, String(sealed), db);
  }
  return values;
}
