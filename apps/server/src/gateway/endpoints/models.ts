import type { ServerResponse } from 'node:http';
import { isUsable, listModels } from '@switchboard/core';
import { sendJson } from '../call.ts';
import { GatewayError, sendError, toGatewayError } from '../errors.ts';
import type { Principal } from '../principal.ts';
import type { GatewayRuntime } from '../runtime.ts';

const created = Math.floor(Date.parse('2026-01-01T00:00:00Z') / 1000);

/**
 * GET /v1/models and /v1/models/{provider}/{model}: the models this workspace can use now, without
 * those their provider lately answered "model not found" for (marked, the key left serving).
 */
export async function models(
  runtime: GatewayRuntime,
  principal: Principal,
  id: string | undefined,
  response: ServerResponse,
): Promise<void> {
  try {
    // The principal was authenticated for this workspace; the system actor reads on its behalf.
    const all = await listModels(
      runtime.core,
      { kind: 'system', label: 'gateway' },
      { workspaceId: principal.workspaceId },
    );
    const now = Date.now();
    const missing = runtime.missingModels;
    const usable = all
      .filter(
        (model) =>
          isUsable(model.status) &&
          !missing.get(principal.workspaceId, model.provider, model.name, now) &&
          (principal.limits?.allows(model.provider, model.name) ?? true) &&
          (principal.limits?.countable(model.pricing) ?? true),
      )
      .map((model) => ({
        id: `${model.provider}/${model.name}`,
        object: 'model' as const,
        created,
        owned_by: model.provider,
        type: model.type,
        ...(model.contextSize ? { context_window: model.contextSize } : {}),
      }));
    if (id === undefined) {
      sendJson(response, JSON.stringify({ object: 'list', data: usable }));
      return;
    }
    const found = usable.find((model) => model.id === id);
    const slash = id.indexOf('/');
    const mark = missing.get(principal.workspaceId, id.slice(0, slash), id.slice(slash + 1), now);
    if (!found && mark)
      throw new GatewayError(
        404,
        'invalid_request_error',
        'model_not_found',
        `The provider answered that it has no model ${id}: ${mark.message}`,
        'model',
      );
    if (!found)
      throw new GatewayError(
        404,
        'invalid_request_error',
        'model_not_found',
        `The model ${id} is not available in this workspace`,
        'model',
      );
    sendJson(response, JSON.stringify(found));
  } catch (error) {
    sendError(response, toGatewayError(error));
  }
}
