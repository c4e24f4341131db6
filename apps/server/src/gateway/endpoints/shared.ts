import { invalidRequest } from '../errors.ts';

/** The `model` field: absent means the workspace default; anything but a string is refused. */
export function requestedModel(body: Record<string, unknown>): string | undefined {
  const model = body.model;
  if (model === undefined || model === null || model === '') return undefined;
  if (typeof model !== 'string')
    throw invalidRequest('model must be a string such as "openai/gpt-4o-mini"', 'model');
  return model;
}
