/** Body limits and patience with slow clients. */
export interface GatewayLimits {
  /** Largest JSON body, in bytes (2 MB by default). */
  maxJsonBytes: number;
  /** Largest audio upload, in bytes (20 MB by default). */
  maxAudioBytes: number;
  /** Longest pause while a client sends its body, in milliseconds. */
  bodyIdleMs: number;
  /** Longest time to receive a whole body, in milliseconds, however steadily it trickles in. */
  bodyTimeoutMs: number;
  /**
   * Longest wait for a client to read what it was sent (a full socket buffer), in milliseconds:
   * then the answer is dropped and the upstream call cancelled, so a stalled reader holds neither.
   */
  writeIdleMs: number;
}

/** The limits when the environment sets none. */
export const DEFAULT_LIMITS: GatewayLimits = {
  maxJsonBytes: 2 * 1024 * 1024,
  maxAudioBytes: 20 * 1024 * 1024,
  bodyIdleMs: 30_000,
  bodyTimeoutMs: 120_000,
  writeIdleMs: 60_000,
};
