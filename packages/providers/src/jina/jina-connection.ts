import type { CallContext } from '@switchboard/provider-spec';
import { type BearerConnection, bearerConnection } from '../shared/bearer-connection.ts';
import { JINA_DEFAULT_BASE_URL, jinaManifest } from './jina-manifest.ts';

/** Where and how one call reaches Jina, read from the credential. */
export type JinaConnection = BearerConnection;

/** Reads the credential; a missing key fails here, before any call. */
export function jinaConnection(context: CallContext, notFoundField?: string): JinaConnection {
  return bearerConnection(jinaManifest, JINA_DEFAULT_BASE_URL, context, notFoundField);
}
