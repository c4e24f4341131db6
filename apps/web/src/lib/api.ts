import type { AppRouter, RouterInputs, RouterOutputs } from '@switchboard/client';
import {
  createTRPCClient,
  httpBatchLink,
  httpSubscriptionLink,
  splitLink,
  TRPCClientError,
} from '@trpc/client';

// The console's only way to the server: the typed tRPC API at /trpc on the same origin. The
// HttpOnly session cookie rides along by itself; the browser's own EventSource carries the
// change feed. API shape changes surface here as type errors.

/** The typed API client of the console. */
export const api = createTRPCClient<AppRouter>({
  links: [
    splitLink({
      condition: (operation) => operation.type === 'subscription',
      true: httpSubscriptionLink({ url: '/trpc' }),
      false: httpBatchLink({ url: '/trpc' }),
    }),
  ],
});

export type { RouterInputs, RouterOutputs };

/** An installed provider as `providers.list` returns it. */
export type Provider = RouterOutputs['providers']['list'][number];
/** A catalog entry as `providers.catalog` returns it. */
export type CatalogEntry = RouterOutputs['providers']['catalog'][number];
/** A credential, secrets masked. */
export type Credential = Provider['credentials'][number];
/** One field of a provider's credential form. */
export type FormField = Provider['providerCredentialForm'][number];
/** A model type (`llm`, `text-embedding`...). */
export type ModelType = Provider['modelTypes'][number];
/** The signed-in user and their workspaces. */
export type Me = RouterOutputs['auth']['me'];
/** A role in a workspace. */
export type Role = Me['workspaces'][number]['role'];

/** Field id to messages, as the API's error formatter sends them. */
export type FieldErrors = Record<string, string[]>;

/** The tRPC error code of a failed call, or null for anything else (network down...). */
export function errorCode(error: unknown): string | null {
  return error instanceof TRPCClientError ? ((error.data?.code as string | undefined) ?? null) : null;
}

/** Field errors of a failed call, keyed by field id (`api_key`, `email`...). */
export function fieldErrorsOf(error: unknown): FieldErrors {
  if (!(error instanceof TRPCClientError)) return {};
  const fields = (error as TRPCClientError<AppRouter>).data?.fieldErrors;
  if (!fields) return {};
  const result: FieldErrors = {};
  // zod issues on a form arrive as `values.api_key` (or `credential.values.api_key`): the form
  // knows the field as `api_key`.
  for (const [path, messages] of Object.entries(fields)) {
    result[path.replace(/^(credential\.)?values\./, '')] = messages;
  }
  return result;
}

/**
 * The messages for a field and for its entries (`models[1]` from core, `models.1` from zod,
 * `credentials.openai`), for an input that edits a list or a map as one text.
 */
export function errorsUnder(errors: FieldErrors, field: string): string[] {
  return Object.entries(errors)
    .filter(([path]) => path === field || path.startsWith(`${field}[`) || path.startsWith(`${field}.`))
    .flatMap(([, messages]) => messages);
}

/** A sentence for a failed call, for a toast or a form's error line. */
export function messageOf(error: unknown): string {
  if (error instanceof TRPCClientError) return error.message;
  if (error instanceof TypeError)
    return 'The server could not be reached. Check that Switchboard is running.';
  return error instanceof Error ? error.message : String(error);
}

/** Whether a role may change the workspace's configuration (the server decides; this only hides controls). */
export function canManage(role: Role): boolean {
  return role === 'owner' || role === 'admin';
}
