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
  /** Per model: its pool and each candidate's current score, by position in the pool. */
  readonly #current = new Map<string, PoolScores>();

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
   * Scores live in an array beside the pool (the resolve snapshot keeps the pool's
   * array): a map lookup and update per key and call cost most of a 500-key pick.
   */
  pick<T extends Candidate>(
    key: string,
    candidates: readonly T[],
    available: (candidate: T) => boolean,
  ): Picked<T> | undefined {
    let state = this.#current.get(key);
    if (state?.candidates !== candidates) {
      state = rebase(state, candidates);
      this.#current.set(key, state);
    }
    const { scores } = state;
    const usable: T[] = [];
    let total = 0;
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let index = 0; index < candidates.length; index++) {
      const candidate = candidates[index] as T;
      if (!available(candidate)) continue;
      usable.push(candidate);
      const score = (scores[index] as number) + candidate.weight;
      scores[index] = score;
      total += candidate.weight;
      if (score > bestScore) {
        bestScore = score;
        best = index;
      }
    }
    if (usable.length === 0) return undefined;
    // One key available: no choice was made, so no score moves.
    if (usable.length === 1) {
      scores[best] = bestScore - (usable[0] as T).weight;
      return { chosen: usable[0] as T, usable };
    }
    scores[best] = bestScore - total;
    return { chosen: candidates[best] as T, usable };
  }
}

/** One model's round-robin state: the pool it was built for and the scores by position. */
interface PoolScores {
  candidates: readonly Candidate[];
  scores: Float64Array;
}

/** The state for a new pool (a reloaded snapshot): scores carried over by credential id. */
function rebase(previous: PoolScores | undefined, candidates: readonly Candidate[]): PoolScores {
  const scores = new Float64Array(candidates.length);
  if (previous) {
    const byId = new Map<string, number>();
    previous.candidates.forEach((candidate, index) => {
      byId.set(candidate.id, previous.scores[index] as number);
    });
    candidates.forEach((candidate, index) => {
      scores[index] = byId.get(candidate.id) ?? 0;
    });
  }
  return { candidates, scores };
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
