import type { StoredEvent } from '../../../events/types'
import { createProfile } from '../../../interest'
import type { ProfileOptions } from '../../../interest/types'
import { MAX_CANDIDATES } from '../../../rank/candidates'
import type { ArtifactOptions } from '../../similarity/artifact'
import { rerank, type RankerConfig } from '../../../rank'
import type { Candidate } from '../../../rank/types'
import { SILENCED_REASON } from '../../../rank/ranker'
import { HistoryFeatures, ProfileFullScorer, rankAll, scoresOf } from '../full'
import type { ListHint, ModelSpec } from '../types'
import { profileSpeaksWith } from '../../../tuned/signals'

/** Lists at least this long (the full protocol's) are scored by `ProfileFullScorer`: the same scores, in O(N) array work. */
export const FULL_SCORER_MIN = 2000

export interface ProfileModelOptions {
  name: string
  description: string
  /** Merged over DEFAULT_PROFILE_CONFIG by the profile itself. */
  profile?: ProfileOptions
  /** Merged over DEFAULT_RANKER_CONFIG by the ranker itself. */
  ranker?: Partial<RankerConfig>
  /** Use the offline item-to-item table (default true). */
  similarity?: boolean
  /** Build that table with these options (a tuned point's); default: the library's DEFAULT_ARTIFACT_OPTIONS. */
  similarityOptions?: Partial<ArtifactOptions>
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
      const sim = o.similarity === false ? undefined : o.similarityOptions ? ctx.similarity(o.similarityOptions) : ctx.similarity()
      let full: ProfileFullScorer | null = null
      const fullScorer = () => (full ??= new ProfileFullScorer(ctx.catalogue(), createProfile(o.profile).config.priceBands, sim, o.ranker))
      return {
        session: () => {
          const profile = createProfile(o.profile, sim)
          const purchases = new Map<string, number>()
          const history = new HistoryFeatures()
          return {
            add(e: StoredEvent) {
              profile.add(e)
              history.add(e)
              if (e.type === 'purchase') for (const it of e.items) purchases.set(it.id, Math.max(purchases.get(it.id) ?? 0, e.timestamp))
            },
            async score(cands: ReadonlyArray<Candidate>, now: number, hint?: ListHint) {
              // The engine's signal-dependent default (src/tuned/signals.ts), the same function:
              // content-only evidence covering most of the list leaves the server's order.
              const serverOrder = () => Float64Array.from(cands, (_, i) => -i)
              const rule = o.ranker?.weights?.profile === undefined
              if (hint && cands.length >= FULL_SCORER_MIN) {
                // Whole catalogue: the exact values once, and the same rule answered from them
                // (raw[i] is profile.value of candidate i, which is all the rule asks of `value`).
                const fs = fullScorer()
                const raw = fs.raw(cands, hint.universe, profile, history, now)
                if (rule && !profileSpeaksWith(profile, cands, (i) => raw[i]!, now, sim !== undefined)) return serverOrder()
                return fs.fuse(cands, raw, hint.server)
              }
              // The rule as the engine applies it: inside the ranker, on the profile values it
              // computes for the ranking anyway (one walk per candidate, not two).
              const contentRule = rule ? { itemData: sim !== undefined } : null
              const rctx = o.ranker ? { now, profile, purchases, encoder: null, contentRule, config: o.ranker } : { now, profile, purchases, encoder: null, contentRule }
              const res = cands.length > MAX_CANDIDATES ? rankAll(cands, rctx, { explain: false }) : await rerank(cands, rctx, { explain: false })
              if (res.path === 'server' && res.reason === SILENCED_REASON) return serverOrder()
              return scoresOf(res, cands.length)
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
  if (o.similarityOptions) params.similarityOptions = o.similarityOptions
  if (Object.keys(params).length > 0) spec.params = params
  return spec
}
