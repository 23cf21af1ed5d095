import { randInt, rngFor, shuffle, type Rng } from './prng'
import type { Split, UserSplit } from './split'

/**
 * The three candidate sets of the protocol (../shared/datasets/README.md):
 * - `uniform`: the held-out item plus 100 negatives drawn uniformly, without replacement,
 *   from the items the user never interacted with (SASRec);
 * - `popularity`: 100 negatives drawn without replacement with probability ∝ interaction
 *   count over the whole log, from the same pool — harder, and closer to a real server's
 *   list (Krichene & Rendle 2020, "On Sampled Metrics for Item Recommendation");
 * - `full`: every item of the universe the user never interacted with, plus the held-out item.
 */
export type ProtocolName = 'uniform' | 'popularity' | 'full'
export const PROTOCOLS: readonly ProtocolName[] = ['uniform', 'popularity', 'full']
export type Phase = 'val' | 'test'

export const DEFAULT_NEGATIVES = 100

/**
 * Uniform negatives by rejection: cheap because a user has touched few of the items.
 * Falls back to a shuffled scan of the pool when rejection would stall (heavy users).
 */
export function sampleUniform(universe: ReadonlyArray<string>, exclude: ReadonlySet<string>, n: number, rng: Rng): string[] {
  const out: string[] = []
  const taken = new Set<string>()
  // The universe is built from every interaction, so it holds all of `exclude`.
  const available = Math.max(0, universe.length - exclude.size)
  const want = Math.min(n, available)
  let attempts = 0
  const maxAttempts = 20 * (want + 1)
  while (out.length < want && attempts < maxAttempts) {
    attempts++
    const id = universe[randInt(rng, universe.length)]!
    if (exclude.has(id) || taken.has(id)) continue
    taken.add(id)
    out.push(id)
  }
  if (out.length < want) {
    const rest = shuffle(
      universe.filter((id) => !exclude.has(id) && !taken.has(id)),
      rng,
    )
    for (const id of rest) {
      if (out.length >= want) break
      out.push(id)
    }
  }
  return out
}

/**
 * Weighted sampling without replacement by Efraimidis & Spirakis (2006) keys:
 * key = ln(u)/w, keep the n largest. Exact, and needs no rejection loop however much
 * of the popular mass the user has already consumed. Items with weight 0 are never drawn.
 */
export function samplePopularity(
  universe: ReadonlyArray<string>,
  weight: ReadonlyMap<string, number>,
  exclude: ReadonlySet<string>,
  n: number,
  rng: Rng,
): string[] {
  const keys: Array<[number, string]> = []
  for (const id of universe) {
    const w = weight.get(id) ?? 0
    const u = rng() // drawn for every item so the stream does not depend on `exclude`'s order
    if (w <= 0 || exclude.has(id)) continue
    keys.push([Math.log(u || Number.MIN_VALUE) / w, id])
  }
  keys.sort((a, b) => b[0] - a[0])
  return keys.slice(0, n).map((k) => k[1])
}

/**
 * The candidate ids for one user at one phase: the held-out item and its negatives,
 * shuffled (seeded) so the held-out item's position carries no information; the
 * evaluator then orders them as the server would (see eval).
 */
export function candidatesFor(
  split: Split,
  u: UserSplit,
  phase: Phase,
  protocol: ProtocolName,
  seed: number,
  negatives = DEFAULT_NEGATIVES,
): { target: string; ids: string[] } | null {
  const held = phase === 'val' ? u.val : u.test
  if (!held) return null
  const rng = rngFor(seed, protocol, phase, u.user)
  let neg: string[]
  if (protocol === 'uniform') neg = sampleUniform(split.universe, u.interacted, negatives, rng)
  else if (protocol === 'popularity') neg = samplePopularity(split.universe, split.allPopularity, u.interacted, negatives, rng)
  else neg = split.universe.filter((id) => !u.interacted.has(id))
  const ids = shuffle([held.itemId, ...neg], rng)
  return { target: held.itemId, ids }
}
