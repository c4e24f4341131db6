import { BadRequestError, ModelNotFoundError, type ProviderError } from '@switchboard/provider-spec';
import type { HttpClient, HttpSettings } from '../shared/http.ts';
import { carriedErrorOptions, createRefinedHttpClient } from '../shared/refine-errors.ts';
import type { UpstreamErrorInfo } from '../shared/upstream-errors.ts';

interface JinaErrorBody {
  detail?: string | { loc?: unknown[]; msg?: string }[];
  code?: string;
  errors?: { field?: string; message?: string }[];
}

/**
 * Reads Jina's error body: `{detail, code, request_id}` (older servers: `{detail}`; 422:
 * `errors[]` with the field, or FastAPI's `detail: [{loc, msg}]`). Jina's codes are put in
 * the shared terms: no balance is a quota problem, an unknown model blames `model`.
 */
export function readJinaErrorBody(text: string): UpstreamErrorInfo {
  let body: JinaErrorBody;
  try {
    body = JSON.parse(text) as JinaErrorBody;
  } catch {
    return { message: text.slice(0, 500) };
  }
  if (!body || typeof body !== 'object') return { message: text.slice(0, 500) };
  let message = typeof body.detail === 'string' ? body.detail : '';
  let param: string | undefined;
  if (Array.isArray(body.detail)) {
    const [first] = body.detail;
    message = first?.msg ?? JSON.stringify(body.detail);
    const location = first?.loc?.at(-1);
    if (typeof location === 'string') param = location;
  }
  const [firstError] = body.errors ?? [];
  if (firstError?.field) param = firstError.field;
  if (!message) message = firstError?.message ?? text.slice(0, 500);
  if (body.code === 'INPUT_MODEL_NOT_FOUND') param = 'model';
  const code = body.code === 'AUTHZ_INSUFFICIENT_BALANCE' ? 'insufficient_funds' : body.code;
  return { message, ...(code ? { code } : {}), ...(param ? { param } : {}) };
}

/** Jina answers an unknown model with 400 (`INPUT_MODEL_NOT_FOUND`), not 404. */
export function refineJinaError(error: ProviderError): ProviderError {
  const unknownModel =
    error instanceof BadRequestError &&
    error.status === 400 &&
    (error.field === 'model' || /\bmodel\b.*\bnot found\b/i.test(error.upstreamMessage ?? ''));
  if (!unknownModel) return error;
  return new ModelNotFoundError(error.message, { ...carriedErrorOptions(error), field: 'model' });
}

/** The HTTP client every Jina call goes through; it throws only ProviderErrors. */
export function createJinaHttpClient(settings: HttpSettings): HttpClient {
  return createRefinedHttpClient(settings, readJinaErrorBody, refineJinaError);
}
