import type { AppRouter } from '@switchboard/api';
import {
  createTRPCClient,
  httpBatchLink,
  httpLink,
  httpSubscriptionLink,
  splitLink,
  type TRPCClient,
} from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { EventSource } from 'eventsource';

/** Inputs of every procedure: `RouterInputs['members']['add']`. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Outputs of every procedure: `RouterOutputs['auth']['me']`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type { AppRouter };
/** The model types (`llm`, `text-embedding`, …), each of which has one default model per workspace. */
export { MODEL_TYPES, type ModelType } from '@switchboard/provider-spec';

/** Procedures sent on their own, never batched: the server checks a password in each. */
const PASSWORD_PROCEDURES = new Set(['auth.login', 'auth.setup', 'auth.createToken']);

/** Options of `createSwitchboardClient`. */
export interface SwitchboardClientOptions {
  /** Server base URL, such as `http://127.0.0.1:8787` (the client adds `/trpc`). */
  url: string;
  /** A personal access token (`sbp_…`), from `pnpm switchboard token create` or the console. */
  token?: string;
  /** A custom fetch (tests, proxies). */
  fetch?: typeof globalThis.fetch;
}

/** The typed client: `client.auth.me.query()`, `client.changes.subscribe.subscribe(...)`. */
export type SwitchboardClient = TRPCClient<AppRouter>;

/**
 * A typed tRPC client for a Switchboard server. Queries and mutations are batched over
 * HTTP; subscriptions (the change feed) use server-sent events with the same token.
 */
export function createSwitchboardClient(options: SwitchboardClientOptions): SwitchboardClient {
  const endpoint = `${options.url.replace(/\/+$/, '')}/trpc`;
  const authorization = options.token ? { authorization: `Bearer ${options.token}` } : undefined;
  const baseFetch = options.fetch ?? globalThis.fetch;
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (operation) => operation.type === 'subscription',
        true: httpSubscriptionLink({
          url: endpoint,
          // Node has no EventSource, and browsers' cannot send headers: this one can.
          EventSource,
          eventSourceOptions: () => ({
            fetch: (input, init) =>
              baseFetch(input, {
                ...init,
                headers: { ...(init?.headers as Record<string, string>), ...authorization },
              }),
          }),
        }),
        false: splitLink({
          // The server refuses a batch holding a password check (each costs scrypt work).
          condition: (operation) => PASSWORD_PROCEDURES.has(operation.path),
          true: httpLink({ url: endpoint, headers: () => authorization ?? {}, fetch: baseFetch }),
          false: httpBatchLink({
            url: endpoint,
            headers: () => authorization ?? {},
            fetch: baseFetch,
          }),
        }),
      }),
    ],
  });
}
