import type { CallContext } from '@switchboard/provider-spec';
import { type BearerConnection, bearerConnection } from '../shared/bearer-connection.ts';
import { COHERE_DEFAULT_BASE_URL, cohereManifest } from './cohere-manifest.ts';

/** Where and how one call reaches Cohere, read from the credential. */
export type CohereConnection = BearerConnection;

/** Reads the credential; a missing key fails here, before any call. */
export function cohereConnection(context: CallContext, notFoundField?: string): CohereConnection {
  return bearerConnection(cohereManifest, COHERE_DEFAULT_BASE_URL, context, notFoundField);
}
