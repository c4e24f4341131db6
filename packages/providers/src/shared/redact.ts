import type { CredentialValues, FormField } from '@switchboard/provider-spec';

/** Values of the `secret` fields of the given forms: what must never appear in a message. */
export function secretValues(forms: FormField[][], credentials: CredentialValues): string[] {
  const secrets: string[] = [];
  for (const form of forms) {
    for (const field of form) {
      const value = credentials[field.id];
      if (field.type === 'secret' && typeof value === 'string' && value.length > 0) secrets.push(value);
    }
  }
  return secrets;
}

/** Replaces every occurrence of a secret (and long prefixes of it) with `[redacted]`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    out = out.split(secret).join('[redacted]');
    // Providers sometimes echo a truncated key ("sk-abc...wxyz"): drop long fragments too.
    if (secret.length >= 16) {
      out = out.split(secret.slice(0, Math.floor(secret.length / 2))).join('[redacted]');
      out = out.split(secret.slice(-Math.floor(secret.length / 2))).join('[redacted]');
    }
  }
  return out;
}
