/** A credential the router may pick. */
export interface Candidate {
  id: string;
  weight: number;
}

/**
 * Smooth weighted round robin (as nginx does it): over a cycle every candidate is
 * picked in proportion to its weight, interleaved rather than in bursts. One state
 * per model; candidates that are resting are left out of a pick without losing their
 * place.
 */
export class WeightedRoundRobin {
  readonly #current = new Map<string, Map<string, number>>();

  /**
   * Orders `candidates` for one call: the weighted pick first, then the others
   * (heaviest first) as failover. `available` filters out resting keys.
   */
  order<T extends Candidate>(
    key: string,
    candidates: readonly T[],
    available: (candidate: T) => boolean,
  ): T[] {
    const picked = this.pick(key, candidates, available);
    return picked ? [picked.chosen, ...failoverOrder(picked)] : [];
  }

  /**
   * The weighted pick among the available candidates, with those candidates (for
   * `failoverOrder`, built only when the pick fails: under many keys, sorting them
   * for every call cost more than the pick); undefined when none is available.
   */
  pick<T extends Candidate>(
    key: string,
    candidates: readonly T[],
    available: (candidate: T) => boolean,
  ): Picked<T> | undefined {
    const usable = candidates.filter(available);
    if (usable.length <= 1) return usable.length === 0 ? undefined : { chosen: usable[0] as T, usable };
    let state = this.#current.get(key);
    if (!state) {
      state = new Map();
      this.#current.set(key, state);
    }
    let total = 0;
    let best: T | undefined;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (const candidate of usable) {
      const score = (state.get(candidate.id) ?? 0) + candidate.weight;
      state.set(candidate.id, score);
      total += candidate.weight;
      if (score > bestScore) {
        bestScore = score;
        best = candidate;
      }
    }
    const chosen = best as T;
    state.set(chosen.id, bestScore - total);
    return { chosen, usable };
  }
}

/** A weighted pick: the chosen candidate and every candidate that was available with it. */
export interface Picked<T extends Candidate> {
  chosen: T;
  usable: T[];
}

/** The failover after a pick: the other candidates that were available, heaviest first. */
export function failoverOrder<T extends Candidate>(picked: Picked<T>): T[] {
  return picked.usable.filter((candidate) => candidate !== picked.chosen).sort((a, b) => b.weight - a.weight);
}
