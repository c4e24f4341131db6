import {
  type CallContext,
  type CredentialValues,
  isProviderError,
  type ProviderAdapter,
  type ProviderError,
  type ValidationResult,
  type ValidationTarget,
} from '@switchboard/provider-spec';
import { badRequest } from '../errors.ts';

// Proving credentials with a real call to the provider, and saying why the provider refused.

/** How long a validation or discovery call may take before the form gets a timeout error. */
export const VALIDATION_TIMEOUT_MS = 30_000;

/**
 * Proves credential values with one real call to the provider. A ProviderError becomes
 * BAD_REQUEST with the provider's reason on the form field at fault (`api_key`, `base_url`...),
 * keyed by form field id as the console renders them.
 */
export async function validateWithAdapter(
  adapter: ProviderAdapter,
  values: CredentialValues,
  target?: ValidationTarget,
): Promise<ValidationResult> {
  const context: CallContext = { credentials: values, signal: AbortSignal.timeout(VALIDATION_TIMEOUT_MS) };
  try {
    return await adapter.validateCredentials(context, target);
  } catch (error) {
    throw providerFieldError(error, adapter);
  }
}

/**
 * Why the provider refused, in words for people: the adapter's message (which names the
 * provider), the upstream's own words when the message does not already hold them, and the
 * provider's label only when the message lacks it, so the provider is named once.
 */
export function providerReason(error: ProviderError, label: string): string {
  const named = error.message.startsWith(`${label}:`) ? error.message : `${label}: ${error.message}`;
  const upstream =
    error.upstreamMessage && !error.message.includes(error.upstreamMessage)
      ? ` (${error.upstreamMessage})`
      : '';
  return `${named}${upstream}`;
}

/** Turns an adapter failure into a field error for its credential form; anything else passes through. */
export function providerFieldError(error: unknown, adapter: ProviderAdapter): unknown {
  if (!isProviderError(error)) return error;
  const reason = providerReason(error, adapter.manifest.label);
  return badRequest(reason, { [error.field ?? 'api_key']: [reason] });
}
