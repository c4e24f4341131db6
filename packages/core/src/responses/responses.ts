import type { Actor } from '../access.ts';
import type { Core } from '../core.ts';
import { badRequest, notFound } from '../errors.ts';
import { authorize } from '../service/authorize.ts';
import { mutate } from '../service/mutate.ts';
import {
  deleteExpiredResponses,
  deleteStoredResponse,
  findRetentionDays,
  findStoredItem,
  findStoredResponse,
  insertStoredResponse,
  updateRetentionDays,
} from './response-repository.ts';

/** The longest retention an admin may set, in days. */
export const MAX_RESPONSE_RETENTION_DAYS = 3650;
const DAY_MS = 86_400_000;

/** A response of the Responses API as the gateway keeps it. */
export interface StoredResponse {
  /** The response object, as GET /v1/responses/{id} returns it. */
  body: Record<string, unknown>;
  /** Every input item the response answered, earlier turns included. */
  inputItems: unknown[];
}

/** What the gateway saves after a response completed. */
export interface ResponseToSave {
  workspaceId: string;
  apiKeyId: string | null;
  userId: string | null;
  id: string;
  body: Record<string, unknown>;
  inputItems: unknown[];
  /** The output items that carry an id, for `item_reference` input items. */
  outputItems: { id: string; item: unknown }[];
  createdAt: Date;
}

// The gateway's principal was authenticated for the workspace before these are called, as for
// usage records: they take the workspace id, not an actor.

/**
 * Saves a completed response for the workspace's retention (nothing when it is 0 days).
 * Returns whether it was stored.
 */
export async function saveResponse(core: Core, response: ResponseToSave): Promise<boolean> {
  return (await saveResponses(core, [response])) === 1;
}

/**
 * Saves completed responses, of any workspaces, in one transaction: all or none (a caller that
 * must not lose the others to one bad response retries them one by one). Each is kept for its
 * workspace's retention, and not at all when that is 0 days. Returns how many were stored.
 */
export async function saveResponses(core: Core, responses: readonly ResponseToSave[]): Promise<number> {
  return core.db.transaction().execute(async (trx) => {
    const retention = new Map<string, number | undefined>();
    let stored = 0;
    for (const response of responses) {
      if (!retention.has(response.workspaceId))
        retention.set(response.workspaceId, await findRetentionDays(trx, response.workspaceId));
      const days = retention.get(response.workspaceId);
      if (!days) continue;
      await insertStoredResponse(trx, {
        row: {
          id: response.id,
          workspace_id: response.workspaceId,
          api_key_id: response.apiKeyId,
          user_id: response.userId,
          body: JSON.stringify(response.body),
          input_items: JSON.stringify(response.inputItems),
          created_at: response.createdAt.toISOString(),
          expires_at: new Date(response.createdAt.getTime() + days * DAY_MS).toISOString(),
        },
        items: response.outputItems.map((item) => ({ id: item.id, item: JSON.stringify(item.item) })),
      });
      stored++;
    }
    return stored;
  });
}

/** A workspace's stored, unexpired response, or undefined. */
export async function findResponse(
  core: Core,
  workspaceId: string,
  id: string,
): Promise<StoredResponse | undefined> {
  const row = await findStoredResponse(core.db, workspaceId, id, new Date().toISOString());
  if (!row) return undefined;
  return { body: JSON.parse(row.body), inputItems: JSON.parse(row.input_items) };
}

/** An output item of one of the workspace's stored responses, by its id, or undefined. */
export async function findResponseItem(core: Core, workspaceId: string, itemId: string): Promise<unknown> {
  const item = await findStoredItem(core.db, workspaceId, itemId, new Date().toISOString());
  return item === undefined ? undefined : JSON.parse(item);
}

/** Deletes a stored response; false when the workspace has none by that id. */
export function deleteResponse(core: Core, workspaceId: string, id: string): Promise<boolean> {
  return core.db.transaction().execute((trx) => deleteStoredResponse(trx, workspaceId, id));
}

/** Deletes every expired response (run periodically by the server). */
export function purgeExpiredResponses(core: Core, now = new Date()): Promise<number> {
  return deleteExpiredResponses(core.db, now.toISOString());
}

/** How long the workspace keeps Responses API responses. Any member may read it. */
export async function getResponseRetention(
  core: Core,
  actor: Actor,
  input: { workspaceId: string },
): Promise<{ days: number }> {
  await authorize(core, actor, input.workspaceId, false);
  const days = await findRetentionDays(core.db, input.workspaceId);
  if (days === undefined) throw notFound('Workspace');
  return { days };
}

/**
 * Sets how long the workspace keeps Responses API responses (owner or admin); 0 stores none.
 * Responses already stored keep the expiry they were saved with.
 */
export async function setResponseRetention(
  core: Core,
  actor: Actor,
  input: { workspaceId: string; days: number },
): Promise<{ days: number }> {
  const { days } = input;
  if (!Number.isInteger(days) || days < 0 || days > MAX_RESPONSE_RETENTION_DAYS) {
    throw badRequest(`days must be a whole number from 0 to ${MAX_RESPONSE_RETENTION_DAYS}`, {
      days: [`a whole number from 0 to ${MAX_RESPONSE_RETENTION_DAYS}`],
    });
  }
  await authorize(core, actor, input.workspaceId, true);
  await mutate(core, actor, input.workspaceId, async (trx, record) => {
    await updateRetentionDays(trx, input.workspaceId, days);
    await record({
      kind: 'workspace',
      action: 'workspace.response-retention',
      targetType: 'workspace',
      targetId: input.workspaceId,
      details: { days },
    });
  });
  return { days };
}
