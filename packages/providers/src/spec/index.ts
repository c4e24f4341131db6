// Transitional: the spec moved to @switchboard/provider-spec; this path goes once every import is renamed.
export * from '@switchboard/provider-spec';
