import type { FormField } from '@switchboard/provider-spec';

// Fields many providers share, so forms and configuration files read the same everywhere.

export const apiKeyField = (overrides: Partial<FormField> = {}): FormField => ({
  id: 'api_key',
  label: 'API key',
  type: 'secret',
  required: true,
  ...overrides,
});

export const baseUrlField = (defaultUrl: string, overrides: Partial<FormField> = {}): FormField => ({
  id: 'base_url',
  label: 'API base URL',
  type: 'text',
  required: false,
  placeholder: defaultUrl,
  help: 'Leave empty for the default endpoint; set it for a gateway or a regional endpoint.',
  ...overrides,
});

/** Optional HTTP(S) proxy for this credential's upstream calls. */
export const proxyUrlField: FormField = {
  id: 'proxy_url',
  label: 'HTTP proxy',
  type: 'text',
  required: false,
  placeholder: 'http://proxy.internal:3128',
  help: "Send this credential's calls through an HTTP(S) proxy.",
};

/** Reads a string credential value, trimmed; undefined when empty. */
export function stringValue(values: Record<string, unknown>, id: string): string | undefined {
  const value = values[id];
  if (typeof value !== 'string') return typeof value === 'number' ? String(value) : undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** Base URL without a trailing slash, or the default. */
export function baseUrl(values: Record<string, unknown>, fallback: string): string {
  return (stringValue(values, 'base_url') ?? fallback).replace(/\/+$/, '');
}
