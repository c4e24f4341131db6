/** Stable codes the API layer maps to transport errors (tRPC codes, HTTP statuses). */
export type CoreErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PRECONDITION_FAILED'
  | 'TOO_MANY_REQUESTS';

/** Field path (dotted, as in the input) to the messages about it. */
export type FieldErrors = Record<string, string[]>;

/** Every rule violation in core is one of these; nothing else is meant for users. */
export class CoreError extends Error {
  override readonly name = 'CoreError';
  constructor(
    readonly code: CoreErrorCode,
    message: string,
    /** Per-field messages for forms (BAD_REQUEST), keyed by input field name. */
    readonly fieldErrors?: FieldErrors,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, fieldErrors?: FieldErrors) =>
  new CoreError('BAD_REQUEST', message, fieldErrors);
/** One message about one field: the common case for form validation. */
export const fieldError = (field: string, message: string) =>
  new CoreError('BAD_REQUEST', `${field}: ${message}`, { [field]: [message] });
export const unauthorized = (message = 'Not signed in, or the credentials are wrong') =>
  new CoreError('UNAUTHORIZED', message);
export const forbidden = (message = 'Only the workspace owner or an admin can do this') =>
  new CoreError('FORBIDDEN', message);
export const notFound = (what: string) => new CoreError('NOT_FOUND', `${what} not found`);
export const conflict = (message: string) => new CoreError('CONFLICT', message);
