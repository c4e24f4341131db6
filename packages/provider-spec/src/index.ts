// The adapter spec: types and error classes only. Core and the gateway depend on this, never on an adapter.
export * from './adapter.ts';
export * from './canonical.ts';
export * from './errors.ts';
export * from './manifest.ts';
export * from './parameters.ts';
