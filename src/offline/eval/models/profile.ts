import type { StoredEvent } from '../../../events/types'
import { createProfile } from '../../../interest'
import type { ProfileConfig } from '../../../interest/types'
import { rerank, type RankerConfig } from '../../../rank'
import type { Candidate } from '../../../rank/types'
import type { ModelSpec } from '../types'

export interface ProfileModelOptions {
  name: string
  description: string
  /** Merged over DEFAULT_PROFILE_CONFIG by the profile itself. */
  profile?: Partial<ProfileConfig>
  /** Merged over DEFAULT_RANKER_CONFIG by the ranker itself. */
  ranker?: Partial<RankerConfig>
  /** Use the offline item-to-item table (default true). */
  similarity?: boolean
}

/**
 * The browser's own path, imported from src/: every event goes through
 * `InterestProfile.add` (src/interest), and each list is ranked by `rerank` (src/rank) —
 * the function the engine calls — with the profile, the purchase times (as the engine
 * keeps them, for the demotion rule) and no encoder. The evaluator only reads the fused
 * score of each candidate back, by its server position.
 */
export function profileModel(o: ProfileModelOptions): ModelSpec {
  const spec: ModelSpec = {
    name: o.name,
    description: o.description,
    group: 'profile',
    create: (ctx) => {
      const sim = o.similarity === false ? undefined : ctx.similarity()
      return {
        session: () => {
          const profile = createProfile(o.profile, sim)
          const purchases = new Map<string, number>()
          return {
            add(e: StoredEvent) {
              profile.add(e)
              if (e.type === 'purchase') for (const it of e.items) purchases.set(it.id, Math.max(purchases.get(it.id) ?? 0, e.timestamp))
            },
            async score(cands: ReadonlyArray<Candidate>, now: number) {
              const ctx = o.ranker ? { now, profile, purchases, encoder: null, config: o.ranker } : { now, profile, purchases, encoder: null }
              const res = await rerank(cands, ctx, { explain: false })
              if (res.items.length !== cands.length) throw new Error(`ranker returned ${res.items.length} of ${cands.length} candidates (${res.issues.length} issues)`)
              const out = new Float64Array(cands.length)
              for (const it of res.items) out[it.serverRank] = it.score
              return out
            },
          }
        },
      }
    },
  }
  const params: Record<string, unknown> = {}
  if (o.profile) params.profile = o.profile
  if (o.ranker) params.ranker = o.ranker
  if (o.similarity === false) params.similarity = false
  if (Object.keys(params).length > 0) spec.params = params
  return spec
}
