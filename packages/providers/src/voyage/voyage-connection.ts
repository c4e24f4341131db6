import type { CallContext } from '@switchboard/provider-spec';
import { type BearerConnection, bearerConnection } from '../shared/bearer-connection.ts';
import { VOYAGE_DEFAULT_BASE_URL, voyageManifest } from './voyage-manifest.ts';

/** Where and how one call reaches Voyage, read from the credential. */
export type VoyageConnection = BearerConnection;

/** Reads the credential; a missing key fails here, before any call. */
export function voyageConnection(context: CallContext, notFoundField?: string): VoyageConnection {
  return bearerConnection(voyageManifest, VOYAGE_DEFAULT_BASE_URL, context, notFoundField);
}
