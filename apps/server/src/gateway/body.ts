import { invalidRequest } from './errors.ts';

/** Parses a JSON object body, or says what is wrong with it. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw invalidRequest('The request body is not valid JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidRequest('The request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}
