// Core's test kit, for the tests of core and of the packages above it (`@switchboard/core/testing`).
export * from './provider-kit.ts';
export * from './test-core.ts';
