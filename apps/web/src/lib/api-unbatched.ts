import type { AppRouter } from '@switchboard/client';
import { createTRPCClient, httpLink } from '@trpc/client';

/**
 * The typed API without batching: one HTTP request per call. For calls whose own duration is
 * shown (the health page's checks): batched, concurrent checks would all report the slowest
 * one's time, and one could not be cancelled without the others.
 */
export const unbatchedApi = createTRPCClient<AppRouter>({ links: [httpLink({ url: '/trpc' })] });
