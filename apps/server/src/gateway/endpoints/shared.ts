import { GatewayError, invalidRequest } from '../errors.ts';
import type { Route } from '../runtime.ts';

/** The `model` field: absent means the workspace default; anything but a string is refused. */
export function requestedModel(body: Record<string, unknown>): string | undefined {
  const model = body.model;
  if (model === undefined || model === null || model === '') return undefined;
  if (typeof model !== 'string')
    throw invalidRequest('model must be a string such as "openai/gpt-4o-mini"', 'model');
  return model;
}

/** The provider of the resolved model does not offer this operation. */
export function unsupported(route: Route, what: string): GatewayError {
  return new GatewayError(
    400,
    'invalid_request_error',
    'unsupported',
    `${route.resolved.provider}/${route.resolved.model} does not support ${what}`,
    'model',
  );
}
