/** Limits of the HTTP server itself: /trpc bodies, slow clients, connections. */
export interface HttpLimits {
  /** Largest /trpc request body, in bytes. */
  maxTrpcBytes: number;
  /** Longest pause while a client sends its body, in milliseconds (then 408). */
  bodyIdleMs: number;
  /** Longest time to receive a whole request body, in milliseconds (then 408). */
  bodyTimeoutMs: number;
  /** Longest time to receive a request's headers, in milliseconds. */
  headersTimeoutMs: number;
  /** Connections open at once; more are closed as they arrive. */
  maxConnections: number;
}

/** The defaults, as documented in the README's configuration table. */
export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  maxTrpcBytes: 1024 * 1024,
  bodyIdleMs: 30_000,
  bodyTimeoutMs: 120_000,
  headersTimeoutMs: 20_000,
  maxConnections: 10_000,
};
